"""The live view of a running stack: a model fed by bus events, drawn as a table or as plain lines."""
