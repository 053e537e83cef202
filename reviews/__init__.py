"""Review queues: each proposal accepted, edited or rejected by the right person, then done."""
