//! The OpenAPI 3.1 document at `/api/v1/openapi.json`, generated from the route registry so that every route is
//! listed and none is listed that does not exist.

use crate::api::ROUTES;
use axum::Json;
use serde_json::{Map, Value, json};

fn params(path: &str) -> Vec<Value> {
    path.split('/')
        .filter_map(|seg| seg.strip_prefix('{').and_then(|s| s.strip_suffix('}')))
        .map(|name| json!({ "name": name, "in": "path", "required": true, "schema": { "type": "string", "format": "uuid" } }))
        .collect()
}

fn error_response(description: &str) -> Value {
    json!({ "description": description, "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Error" } } } })
}

pub fn build() -> Value {
    let mut paths = Map::new();
    for r in ROUTES {
        let mut op = json!({
            "summary": r.summary,
            "tags": [r.tag],
            "operationId": format!("{} {}", r.method, r.path),
            "parameters": params(r.path),
            "responses": {
                "200": { "description": "Success" },
                "401": error_response("Not signed in"),
                "403": error_response("Not allowed"),
                "404": error_response("Not found (or not visible to you)"),
                "422": error_response("Invalid input; `fields` names each problem"),
            },
        });
        if matches!(r.method, "POST" | "PUT") {
            op["requestBody"] = json!({ "required": true, "content": { "application/json": { "schema": { "type": "object" } } } });
            op["responses"]["400"] = error_response("Malformed JSON");
            op["responses"]["409"] = error_response("Conflict (stale version or duplicate)");
        }
        if r.method == "PUT" || r.path.ends_with("/close") {
            if let Some(p) = op["parameters"].as_array_mut() {
                p.push(json!({ "name": "If-Match", "in": "header", "required": true, "schema": { "type": "string" } }));
            }
            op["responses"]["428"] = error_response("If-Match missing");
        }
        let entry = paths.entry(r.path.to_string()).or_insert_with(|| json!({}));
        entry[r.method.to_lowercase()] = op;
    }
    json!({
        "openapi": "3.1.0",
        "info": {
            "title": "Rapport API",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "Practice and clinical records for psychotherapists. Authenticate with a personal API token: `Authorization: Bearer rpt_…`.",
        },
        "servers": [{ "url": "/" }],
        "security": [{ "bearer": [] }],
        "paths": paths,
        "components": {
            "securitySchemes": { "bearer": { "type": "http", "scheme": "bearer" } },
            "schemas": {
                "Error": {
                    "type": "object",
                    "required": ["error", "message", "request_id"],
                    "properties": {
                        "error": { "type": "string", "description": "Stable, greppable code" },
                        "message": { "type": "string" },
                        "request_id": { "type": "string" },
                        "fields": { "type": "array", "items": { "type": "object", "properties": { "field": { "type": "string" }, "message": { "type": "string" } } } },
                    },
                },
            },
        },
    })
}

pub async fn document() -> Json<Value> {
    Json(build())
}
