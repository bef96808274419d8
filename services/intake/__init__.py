"""intake: receives tickets from hotline agents and other channels, numbers them and says
``ticket_created`` (and ``ticket_answered`` for a consultation answered on the spot);
merges repeat calls into the open ticket for the same matter (``ticket_merged``); takes
praise calls (``praise_received``); answers callers in the register first (一号专线), and
opens a welfare check when a resident's check-in goes unanswered."""
