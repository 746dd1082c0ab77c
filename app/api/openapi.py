"""What the OpenAPI document can only learn once the app is built: settings and the shape of
headers flask-smorest documents differently from how it sends them."""

# flask-smorest sends X-Pagination as a JSON text and documented it as an object; OpenAPI says
# a JSON-encoded header with `content`.
PAGINATION_HEADER = {
    "description": "Pagination metadata, JSON-encoded",
    "content": {"application/json": {"schema": {
        "type": "object", "additionalProperties": False,
        "properties": {name: {"type": "integer", "minimum": 0} for name in (
            "total", "total_pages", "first_page", "last_page", "page", "previous_page", "next_page")},
        "required": ["total", "total_pages"]}}},
}


def finish_document(api, settings) -> None:
    components = api.spec.components
    for registered in (components.headers, components.headers_lazy):
        if "PAGINATION" in registered:
            registered["PAGINATION"] = PAGINATION_HEADER
    amount = components.schemas["OrderCreate"]["properties"]["amount"]
    amount["maximum"] = settings.max_amount_kopecks
