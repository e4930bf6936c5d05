"""Market data: real price history, on-demand prices, availability traces, Spot Advisor bands, scripted prices.

Loaders read files once and return plain, immutable structures; everything downstream (the simulator, the
replay feed, evaluation, training) queries those structures with the time it is given.
"""
