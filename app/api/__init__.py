"""REST API (flask-smorest): blueprints per resource, schemas as the one definition of shapes."""
