"""Delivery: fan-out planning, the outbox, limiters, the sender, and rendering of pushes."""
