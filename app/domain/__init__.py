"""Domain: order statuses and lifecycle, validation rules, ids, clock."""
