"""The OpenAPI 3.1 description of the JSON API (/api/v1/), written by hand."""

from __future__ import annotations

from storefronts.numbers import MAX_ID

# The ``ids`` query parameter (``api.v1`` checks it with the same pattern).
IDS_PATTERN = r"^ *([1-9][0-9]{0,17} *(, *[1-9][0-9]{0,17} *)*)?$"
IDS_MAX_LENGTH = 2000


# What went wrong (``disputes.models.Problem``).
PROBLEMS = ["code_not_accepted", "wrong_result", "still_locked"]
ID_PARAMETER = {
    "name": "id",
    "in": "path",
    "required": True,
    "schema": {"type": "integer", "minimum": 1, "maximum": MAX_ID},
}


def _ref(name: str) -> dict:
    return {"$ref": f"#/components/schemas/{name}"}


def _json(schema: dict, description: str) -> dict:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


ERRORS = {
    "400": _json(
        _ref("Error"),
        "Bad request: invalid fields, malformed JSON, a property of the wrong type or one the "
        "schema does not name",
    ),
    "401": _json(_ref("Error"), "Missing, wrong or revoked key"),
    "402": _json(_ref("Error"), "Not enough balance"),
    "403": _json(_ref("Error"), "The account must act first (verification, new terms)"),
    "404": _json(_ref("Error"), "No such order or service for this account"),
    "409": _json(_ref("Error"), "The reference was already used for another order"),
    "413": _json(_ref("Error"), "The request is too large"),
    "415": _json(_ref("Error"), "The body is not application/json"),
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
                "speaks the DHRU Fusion API at `/api/index.php`. Every error, under any path "
                "of `/api/v1/`, is a JSON `Error` with a 4xx status; a method an operation does "
                "not list is a 405 with an `Allow` header."
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
                            "schema": {
                                "type": "string",
                                "pattern": IDS_PATTERN,
                                "maxLength": IDS_MAX_LENGTH,
                            },
                            "description": "Comma-separated order ids, digits 0-9 (the first "
                            "100 are read)",
                        },
                        {
                            "name": "reference",
                            "in": "query",
                            "schema": {"type": "string"},
                            "description": "Your reference of the orders (DS-22)",
                        },
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
                                            "additionalProperties": False,
                                            "properties": {
                                                "orders": {
                                                    "type": "array",
                                                    "minItems": 1,
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
                            "schema": {"type": "integer", "minimum": 1, "maximum": MAX_ID},
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
            "/orders/{id}/cancel": {
                "post": {
                    "summary": "Cancel one of your orders inside its cancellation window (DS-11)",
                    "description": (
                        "The full price goes back to your balance. Once the window has closed "
                        "(`cancel_until`) the order is being processed and cannot be cancelled."
                    ),
                    "operationId": "cancelOrder",
                    "parameters": [
                        {
                            "name": "id",
                            "in": "path",
                            "required": True,
                            "schema": {"type": "integer", "minimum": 1, "maximum": MAX_ID},
                        }
                    ],
                    "responses": {
                        "200": _json(
                            {"type": "object", "properties": {"order": _ref("Order")}},
                            "The cancelled order",
                        ),
                        "401": ERRORS["401"],
                        "404": ERRORS["404"],
                        "409": _json(_ref("Error"), "The cancellation window has closed"),
                    },
                }
            },
            "/webhook": {
                "get": {
                    "summary": "Your order-status webhook, its secret and its last deliveries",
                    "operationId": "getWebhook",
                    "responses": {
                        "200": _json(
                            {"type": "object", "properties": {"webhook": _ref("Webhook")}},
                            "The webhook",
                        ),
                        "401": ERRORS["401"],
                        "404": _json(_ref("Error"), "No webhook is set"),
                    },
                },
                "put": {
                    "summary": "Set or change the URL order updates are POSTed to",
                    "description": (
                        "A new webhook gets a new signing secret and receives the status changes "
                        "from then on (not older ones); changing the URL keeps the secret. The "
                        "URL must be https. See the `orderStatusChanged` webhook for what is sent."
                    ),
                    "operationId": "setWebhook",
                    "requestBody": {
                        "required": True,
                        "content": {
                            "application/json": {
                                "schema": {
                                    "type": "object",
                                    "required": ["url"],
                                    "additionalProperties": False,
                                    "properties": {
                                        "url": {"type": "string", "format": "uri", "maxLength": 500}
                                    },
                                }
                            }
                        },
                    },
                    "responses": {
                        "200": _json(
                            {"type": "object", "properties": {"webhook": _ref("Webhook")}},
                            "The URL is changed",
                        ),
                        "201": _json(
                            {"type": "object", "properties": {"webhook": _ref("Webhook")}},
                            "The webhook is set",
                        ),
                        "400": _json(
                            _ref("Error"),
                            "Not a valid https URL (code invalid_url), or not the body described",
                        ),
                        "401": ERRORS["401"],
                        "413": ERRORS["413"],
                        "415": ERRORS["415"],
                    },
                },
                "delete": {
                    "summary": "Remove the webhook (and its delivery history)",
                    "operationId": "deleteWebhook",
                    "responses": {
                        "204": {"description": "Removed"},
                        "401": ERRORS["401"],
                        "404": _json(_ref("Error"), "No webhook is set"),
                    },
                },
            },
            "/disputes": {
                "get": {
                    "summary": "Your disputes, and what the shop's terms ask a dispute video to show",
                    "operationId": "listDisputes",
                    "responses": {
                        "200": _json(_ref("DisputeList"), "Your 100 newest disputes"),
                        "401": ERRORS["401"],
                    },
                },
                "post": {
                    "summary": "Report a delivered order that does not work, with a video (IS-9, DS-13)",
                    "description": (
                        "Within the shop's window (`window_days` after the result was delivered) "
                        "and one open dispute per order. `attestations` repeats each of the "
                        "shop's `evidence_requirements` (from `GET /disputes`) that the video "
                        "shows: all of them are required. The server reads the video itself: a "
                        "real MP4/MOV/WebM with a short side of at least the shop's minimum "
                        "(720), long enough, and not a still; a refusal says why "
                        '(code `evidence_rejected`, e.g. "The video is 480p; the terms ask for '
                        'at least 720p."). Over the size cap: 413 (`evidence_too_large`), '
                        "refused without reading the whole upload."
                    ),
                    "operationId": "openDispute",
                    "requestBody": {
                        "required": True,
                        "content": {
                            "multipart/form-data": {
                                "schema": {
                                    "type": "object",
                                    "required": [
                                        "order_id",
                                        "problem",
                                        "description",
                                        "attestations",
                                        "video",
                                    ],
                                    "additionalProperties": False,
                                    "properties": {
                                        "order_id": {
                                            "type": "integer",
                                            "minimum": 1,
                                            "maximum": MAX_ID,
                                        },
                                        "problem": {"type": "string", "enum": PROBLEMS},
                                        "description": {
                                            "type": "string",
                                            "minLength": 10,
                                            "maxLength": 4000,
                                            "description": "What was done and what happened",
                                        },
                                        "attestations": {
                                            "type": "array",
                                            "items": {"type": "string"},
                                        },
                                        "video": {"type": "string", "format": "binary"},
                                    },
                                },
                                "encoding": {
                                    "video": {
                                        "contentType": "video/mp4, video/webm, video/quicktime"
                                    }
                                },
                            }
                        },
                    },
                    "responses": {
                        "201": _json(
                            {"type": "object", "properties": {"dispute": _ref("Dispute")}},
                            "The dispute is open",
                        ),
                        "400": _json(
                            _ref("Error"),
                            "A field is missing or wrong, a requirement is not attested, or the "
                            "video is refused (code evidence_rejected, with the reason)",
                        ),
                        "401": ERRORS["401"],
                        "404": _json(_ref("Error"), "No such order of yours"),
                        "409": _json(
                            _ref("Error"),
                            "Outside the window, not delivered, or a dispute is already open",
                        ),
                        "413": _json(_ref("Error"), "The upload is over the shop's size cap"),
                        "415": _json(_ref("Error"), "The body is not multipart/form-data"),
                    },
                },
            },
            "/disputes/{id}": {
                "get": {
                    "summary": "One of your disputes: its status, outcome and messages",
                    "operationId": "getDispute",
                    "parameters": [ID_PARAMETER],
                    "responses": {
                        "200": _json(
                            {"type": "object", "properties": {"dispute": _ref("Dispute")}},
                            "The dispute",
                        ),
                        "401": ERRORS["401"],
                        "404": _json(_ref("Error"), "No such dispute of yours"),
                    },
                }
            },
            "/disputes/{id}/messages": {
                "post": {
                    "summary": "Write to the shop about a dispute, with an optional video or picture",
                    "operationId": "postDisputeMessage",
                    "parameters": [ID_PARAMETER],
                    "requestBody": {
                        "required": True,
                        "content": {
                            "multipart/form-data": {
                                "schema": {
                                    "type": "object",
                                    "required": ["body"],
                                    "additionalProperties": False,
                                    "properties": {
                                        "body": {
                                            "type": "string",
                                            "minLength": 1,
                                            "maxLength": 4000,
                                        },
                                        "file": {"type": "string", "format": "binary"},
                                    },
                                }
                            }
                        },
                    },
                    "responses": {
                        "201": _json(
                            {"type": "object", "properties": {"dispute": _ref("Dispute")}},
                            "The message is sent; the dispute as it is now",
                        ),
                        "400": _json(
                            _ref("Error"), "No message, or the file is refused (with the reason)"
                        ),
                        "401": ERRORS["401"],
                        "404": _json(_ref("Error"), "No such dispute of yours"),
                        "409": _json(_ref("Error"), "The dispute is resolved"),
                        "413": _json(_ref("Error"), "The upload is over the shop's size cap"),
                        "415": _json(_ref("Error"), "The body is not multipart/form-data"),
                    },
                }
            },
        },
        "webhooks": {
            "orderStatusChanged": {
                "post": {
                    "summary": "An order of yours changed status",
                    "description": (
                        "POSTed to your webhook URL, signed by the Standard Webhooks convention "
                        "(https://www.standardwebhooks.com/): verify `webhook-id`, "
                        "`webhook-timestamp` and `webhook-signature` with your webhook's secret "
                        "(`whsec_…`) using any Standard Webhooks library, e.g. Python's "
                        "`standardwebhooks.Webhook(secret).verify(body, headers)`. Delivery is "
                        "at least once: ignore a `webhook-id` you have handled. Answer 2xx within "
                        "10 s; otherwise it is sent again after about 30 s, 2 min, 10 min, 1 h, "
                        "3 h, 6 h and 12 h, then given up."
                    ),
                    "parameters": [
                        {
                            "name": "webhook-id",
                            "in": "header",
                            "required": True,
                            "schema": {"type": "string", "example": "msg_2Lh9…"},
                        },
                        {
                            "name": "webhook-timestamp",
                            "in": "header",
                            "required": True,
                            "schema": {"type": "string", "example": "1767225600"},
                        },
                        {
                            "name": "webhook-signature",
                            "in": "header",
                            "required": True,
                            "schema": {"type": "string", "example": "v1,K5oZfzN95Z9UVu1E…"},
                        },
                    ],
                    "requestBody": {
                        "required": True,
                        "content": {"application/json": {"schema": _ref("WebhookEvent")}},
                    },
                    "responses": {"2XX": {"description": "Received"}},
                    "security": [],
                }
            }
        },
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
            "schemas": {
                "Error": {
                    "type": "object",
                    "required": ["error"],
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
                    "additionalProperties": False,
                    "properties": {
                        "service_id": {"type": "integer", "minimum": 1, "maximum": MAX_ID},
                        "imei": {
                            "type": "string",
                            "description": "15 digits (spaces and dashes are ignored; fullwidth "
                            "digits are read as ASCII)",
                        },
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
                                "refunded",
                                "closed_no_refund",
                                "dispute_refunded",
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
                "Webhook": {
                    "type": "object",
                    "properties": {
                        "url": {"type": "string", "format": "uri"},
                        "secret": {"type": "string", "description": "The HMAC signing key"},
                        "active": {"type": "boolean"},
                        "created_at": {"type": "string", "format": "date-time"},
                        "last_success_at": {"type": ["string", "null"], "format": "date-time"},
                        "failure_count": {
                            "type": "integer",
                            "description": "Failed attempts since the last delivery",
                        },
                        "deliveries": {
                            "type": "array",
                            "description": "The 20 newest deliveries",
                            "items": {
                                "type": "object",
                                "properties": {
                                    "id": {"type": "integer"},
                                    "event_id": {"type": "integer"},
                                    "order_id": {"type": "integer"},
                                    "order_status": {"type": "string"},
                                    "status": {
                                        "type": "string",
                                        "enum": ["pending", "delivered", "failed"],
                                    },
                                    "attempts": {"type": "integer"},
                                    "next_attempt_at": {
                                        "type": ["string", "null"],
                                        "format": "date-time",
                                    },
                                    "delivered_at": {
                                        "type": ["string", "null"],
                                        "format": "date-time",
                                    },
                                    "response_status": {"type": ["integer", "null"]},
                                    "last_error": {"type": "string"},
                                    "created_at": {"type": "string", "format": "date-time"},
                                },
                            },
                        },
                    },
                },
                "WebhookEvent": {
                    "type": "object",
                    "required": ["event", "event_id", "order"],
                    "properties": {
                        "event": {"type": "string", "enum": ["order.status_changed"]},
                        "event_id": {"type": "integer"},
                        "created_at": {"type": "string", "format": "date-time"},
                        "previous_status": {"type": ["string", "null"]},
                        "message": {"type": "string"},
                        "order": {
                            "type": "object",
                            "properties": {
                                "id": {"type": "integer"},
                                "number": {"type": "string"},
                                "reference": {"type": "string"},
                                "service": {
                                    "type": "object",
                                    "properties": {
                                        "id": {"type": "integer"},
                                        "name": {"type": "string"},
                                    },
                                },
                                "imei": {"type": "string"},
                                "status": {"type": "string"},
                                "status_label": {"type": "string"},
                                "status_code": {
                                    "type": "integer",
                                    "enum": [0, 1, 3, 4],
                                    "description": "0 new, 1 in process, 3 rejected (refunded), 4 done",
                                },
                                "price": {"type": "string"},
                                "currency": {"type": "string"},
                                "updated_at": {"type": "string", "format": "date-time"},
                                "code": {"type": "string", "description": "When status_code is 4"},
                                "result": {"type": ["object", "null"]},
                                "result_text": {"type": "string"},
                                "rejection_reason": {
                                    "type": "string",
                                    "description": "When status_code is 3",
                                },
                            },
                        },
                    },
                },
                "Evidence": {
                    "type": "object",
                    "description": "What the server read from the file itself",
                    "properties": {
                        "id": {"type": "integer"},
                        "kind": {"type": "string", "enum": ["video", "image"]},
                        "content_type": {"type": "string"},
                        "width": {"type": "integer"},
                        "height": {"type": "integer"},
                        "duration_seconds": {"type": ["number", "null"]},
                        "codec": {"type": "string"},
                        "size_bytes": {"type": "integer"},
                        "recorded_at": {"type": ["string", "null"], "format": "date-time"},
                        "created_at": {"type": "string", "format": "date-time"},
                    },
                },
                "Dispute": {
                    "type": "object",
                    "properties": {
                        "id": {"type": "integer"},
                        "order_id": {"type": "integer"},
                        "status": {
                            "type": "string",
                            "enum": ["open", "awaiting_customer", "resolved"],
                        },
                        "status_label": {"type": "string"},
                        "problem": {"type": "string", "enum": PROBLEMS},
                        "description": {"type": "string"},
                        "attestations": {"type": "array", "items": {"type": "string"}},
                        "opened_at": {"type": "string", "format": "date-time"},
                        "first_response_due_at": {"type": "string", "format": "date-time"},
                        "first_responded_at": {"type": ["string", "null"], "format": "date-time"},
                        "resolution_due_at": {"type": "string", "format": "date-time"},
                        "outcome": {
                            "type": ["string", "null"],
                            "enum": ["refunded", "corrected", "refused", "entry_mistake", None],
                        },
                        "outcome_label": {"type": ["string", "null"]},
                        "refusal_reason": {
                            "type": ["string", "null"],
                            "description": "IS-10 / DS-14 reason when refused",
                        },
                        "resolution_note": {"type": "string"},
                        "corrected_code": {"type": "string"},
                        "resolved_at": {"type": ["string", "null"], "format": "date-time"},
                        "evidence": {"type": "array", "items": _ref("Evidence")},
                        "messages": {
                            "type": "array",
                            "items": {
                                "type": "object",
                                "properties": {
                                    "id": {"type": "integer"},
                                    "from_staff": {"type": "boolean"},
                                    "asks_for_evidence": {"type": "boolean"},
                                    "body": {"type": "string"},
                                    "created_at": {"type": "string", "format": "date-time"},
                                    "evidence": {"type": "array", "items": _ref("Evidence")},
                                },
                            },
                        },
                    },
                },
                "DisputeList": {
                    "type": "object",
                    "properties": {
                        "evidence_requirements": {
                            "type": "array",
                            "items": {"type": "string"},
                            "description": "What a dispute video must show, as the terms word "
                            "it; attest each one when opening a dispute",
                        },
                        "window_days": {"type": "integer"},
                        "disputes": {"type": "array", "items": _ref("Dispute")},
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
