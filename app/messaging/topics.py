"""Topic names (one prefix, set in config) and what travels on each."""
COMMANDS = "order-commands"    # commands to the process manager, key = order id
EVENTS = "order-events"        # order status changes for other services, key = order id
CONTEXT = "order-context"      # compacted: the whole current saga context, key = order id
MODELS = "process-models"      # compacted: deployed process models, key = "<name>:<version>"
DEAD_LETTERS = "dead-letters"  # messages the worker could not handle, with the error

ALL = (COMMANDS, EVENTS, CONTEXT, MODELS, DEAD_LETTERS)
