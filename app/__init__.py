"""escrow-bpmn: escrow-account orders for shared construction, run as BPMN processes."""
