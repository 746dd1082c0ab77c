"""The process manager: consumes order commands and advances BPMN instances."""
