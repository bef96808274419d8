"""dispatch: owns the lifecycle of every ticket after intake, the directory of places,
units and routing rules, and deadlines. It alone moves a ticket's state; it says
``ticket_dispatched`` … ``ticket_reopened``."""
