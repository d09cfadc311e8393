"""The purchase-order workflow in stages: workflow.py reads as the value stream and holds the messages;
approval.py, inbound.py, invoices.py and payment.py hold each stage's state and logic; facts.py the
document they share; effects.py its activities, tasks and stage on show."""
