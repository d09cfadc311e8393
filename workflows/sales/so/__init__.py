"""The sales-order workflow in stages: workflow.py reads as the value stream and holds the messages;
payment.py, allocation.py, backorders.py, fulfilment.py and cancellation.py hold each stage's state and
logic; facts.py the order they share; effects.py its activities, tasks and stage on show."""
