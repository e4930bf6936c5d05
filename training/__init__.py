"""Training for the shipped models (torch, CPU). Never imported by a service: ``make train`` runs it."""
