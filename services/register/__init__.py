"""The register of vulnerable residents (台账) as a service of its own: residents, their
history, check-in plans, every read of a card, and the register in Excel."""
