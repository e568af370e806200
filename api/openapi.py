"""The OpenAPI 3.1 description of the JSON API (/api/v1/), written by hand."""

from __future__ import annotations


def _ref(name: str) -> dict:
    return {"$ref": f"#/components/schemas/{name}"}


def _json(schema: dict, description: str) -> dict:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


ERRORS = {
    "400": _json(_ref("Error"), "Bad request (invalid fields, unknown service, malformed JSON)"),
    "401": _json(_ref("Error"), "Missing, wrong or revoked key"),
    "402": _json(_ref("Error"), "Not enough balance"),
    "403": _json(_ref("Error"), "The account must act first (verification, new terms)"),
    "404": _json(_ref("Error"), "No such order or service for this account"),
    "429": _json(_ref("Error"), "Too many orders this hour"),
}


def openapi_schema(*, server_url: str) -> dict:
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Reseller API",
            "version": "1.0.0",
            "description": (
                "Order unlock codes and phone checks from this shop with your balance. Create a "
                "key on the account page (API keys) and send it as `Authorization: Bearer <key>`. "
                "A key works only at the shop where it was made. Prices are your prices, in the "
                "shop's balance currency. Send a `reference` with an order to make retries safe: "
                "the same reference answers with the same order and charges once. The shop also "
                "speaks the DHRU Fusion API at `/api/index.php`."
            ),
        },
        "servers": [{"url": server_url}],
        "security": [{"bearer": []}],
        "paths": {
            "/services": {
                "get": {
                    "summary": "The services you can order, at your prices",
                    "operationId": "listServices",
                    "responses": {
                        "200": _json(
                            {
                                "type": "object",
                                "properties": {
                                    "services": {"type": "array", "items": _ref("Service")}
                                },
                            },
                            "Active services",
                        ),
                        "401": ERRORS["401"],
                    },
                }
            },
            "/balance": {
                "get": {
                    "summary": "Your balance",
                    "operationId": "getBalance",
                    "responses": {"200": _json(_ref("Balance"), "Balance"), "401": ERRORS["401"]},
                }
            },
            "/orders": {
                "get": {
                    "summary": "Your orders: by ids, by reference, or the 50 newest",
                    "operationId": "listOrders",
                    "parameters": [
                        {
                            "name": "ids",
                            "in": "query",
                            "schema": {"type": "string"},
                            "description": "Comma-separated order ids (up to 100)",
                        },
                        {"name": "reference", "in": "query", "schema": {"type": "string"}},
                    ],
                    "responses": {
                        "200": _json(
                            {
                                "type": "object",
                                "properties": {"orders": {"type": "array", "items": _ref("Order")}},
                            },
                            "Orders",
                        ),
                        "400": ERRORS["400"],
                        "401": ERRORS["401"],
                    },
                },
                "post": {
                    "summary": 'Place one order, or many with {"orders": [...]}',
                    "operationId": "placeOrders",
                    "requestBody": {
                        "required": True,
                        "content": {
                            "application/json": {
                                "schema": {
                                    "oneOf": [
                                        _ref("OrderRequest"),
                                        {
                                            "type": "object",
                                            "required": ["orders"],
                                            "properties": {
                                                "orders": {
                                                    "type": "array",
                                                    "maxItems": 500,
                                                    "items": _ref("OrderRequest"),
                                                }
                                            },
                                        },
                                    ]
                                }
                            }
                        },
                    },
                    "responses": {
                        "201": _json(
                            {"type": "object", "properties": {"order": _ref("Order")}},
                            "One order placed (or the order an earlier request with the same "
                            "reference placed)",
                        ),
                        "200": _json(
                            {
                                "type": "object",
                                "properties": {
                                    "results": {"type": "array", "items": _ref("BulkResult")}
                                },
                            },
                            "Many orders: one result per request, in order",
                        ),
                        **ERRORS,
                    },
                },
            },
            "/orders/{id}": {
                "get": {
                    "summary": "One of your orders",
                    "operationId": "getOrder",
                    "parameters": [
                        {
                            "name": "id",
                            "in": "path",
                            "required": True,
                            "schema": {"type": "integer"},
                        }
                    ],
                    "responses": {
                        "200": _json(
                            {"type": "object", "properties": {"order": _ref("Order")}}, "The order"
                        ),
                        "401": ERRORS["401"],
                        "404": ERRORS["404"],
                    },
                }
            },
        },
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
            "schemas": {
                "Error": {
                    "type": "object",
                    "properties": {
                        "error": {
                            "type": "object",
                            "required": ["code", "message"],
                            "properties": {
                                "code": {"type": "string"},
                                "message": {"type": "string"},
                                "fields": {
                                    "type": "object",
                                    "additionalProperties": {"type": "string"},
                                    "description": "Per-field messages (invalid_fields)",
                                },
                            },
                        }
                    },
                },
                "Balance": {
                    "type": "object",
                    "properties": {
                        "balance": {"type": "string", "example": "103.00"},
                        "currency": {"type": "string", "example": "EUR"},
                        "display": {"type": "string", "example": "103.00 credits"},
                    },
                },
                "Service": {
                    "type": "object",
                    "properties": {
                        "id": {"type": "integer"},
                        "name": {"type": "string"},
                        "kind": {
                            "type": "string",
                            "enum": ["imei_unlock", "cable_unlock", "phone_check"],
                        },
                        "brand": {"type": "string"},
                        "network": {"type": "string"},
                        "country": {"type": "string"},
                        "description": {"type": "string"},
                        "price": {"type": "string", "description": "Your price"},
                        "currency": {"type": "string"},
                        "delivery_time": {"type": "string"},
                        "fields": {
                            "type": "array",
                            "items": {
                                "type": "object",
                                "properties": {
                                    "name": {"type": "string"},
                                    "label": {"type": "string"},
                                    "required": {"type": "boolean"},
                                    "pattern": {"type": "string"},
                                    "choices": {"type": "array", "items": {"type": "string"}},
                                },
                            },
                        },
                    },
                },
                "OrderRequest": {
                    "type": "object",
                    "required": ["service_id"],
                    "properties": {
                        "service_id": {"type": "integer"},
                        "imei": {"type": "string", "description": "15 digits"},
                        "fields": {
                            "type": "object",
                            "additionalProperties": {"type": "string"},
                            "description": "The service's other fields by name (MODEL, …)",
                        },
                        "reference": {
                            "type": "string",
                            "maxLength": 60,
                            "description": "Your id for the order; a retry with it places once",
                        },
                    },
                },
                "Order": {
                    "type": "object",
                    "properties": {
                        "id": {"type": "integer"},
                        "number": {"type": "string"},
                        "service_id": {"type": "integer"},
                        "service_name": {"type": "string"},
                        "status": {
                            "type": "string",
                            "enum": [
                                "pending",
                                "queued",
                                "awaiting_device",
                                "device_received",
                                "submitted",
                                "in_process",
                                "completed",
                                "shipped",
                                "rejected",
                                "cancelled",
                                "refused",
                            ],
                        },
                        "status_label": {"type": "string"},
                        "dhru_status": {
                            "type": "integer",
                            "enum": [0, 1, 3, 4],
                            "description": "0 new, 1 in process, 3 rejected (refunded), 4 done",
                        },
                        "imei": {"type": "string"},
                        "fields": {"type": "object"},
                        "reference": {"type": "string"},
                        "price": {"type": "string"},
                        "currency": {"type": "string"},
                        "code": {"type": "string"},
                        "result": {"type": ["object", "null"]},
                        "result_text": {"type": "string"},
                        "rejection_reason": {"type": "string"},
                        "placed_at": {"type": "string", "format": "date-time"},
                        "completed_at": {"type": ["string", "null"], "format": "date-time"},
                        "cancel_until": {"type": ["string", "null"], "format": "date-time"},
                    },
                },
                "BulkResult": {
                    "type": "object",
                    "properties": {
                        "index": {"type": "integer"},
                        "order": _ref("Order"),
                        "error": {"$ref": "#/components/schemas/Error/properties/error"},
                    },
                },
            },
        },
    }
