//! The VWO gateway service: user-agent and location lookups (§8.4), list membership for
//! `inlist` (decisions.md D2) and aliasing (§7.5).
//!
//! Lookups made during `get_flag` are single attempts bounded by the request timeout: a slow
//! gateway must not hold a flag decision for the official SDK's 14 s of back-off.

use std::sync::Arc;
use std::time::Duration;

use serde_json::{json, Value};

use super::logger::Logger;
use crate::core::decide::GatewayData;
use crate::core::python;
use crate::net::http::{Method, Request, Transport};
use crate::net::url::{paths, with_query};

/// A configured gateway.
pub struct Gateway {
    /// Transport.
    pub transport: Arc<dyn Transport>,
    /// `scheme://host[:port]`.
    pub base: String,
    /// Options account id (`str()`).
    pub account_id: String,
    /// SDK key.
    pub sdk_key: String,
    /// Per-request timeout.
    pub timeout: Duration,
    /// Logger.
    pub logger: Logger,
}

impl Gateway {
    fn get(&self, path: &str, query: Vec<(String, String)>) -> Result<Value, String> {
        let req = Request {
            method: Method::Get,
            url: with_query(&self.base, path, &query),
            headers: vec![],
            body: None,
            timeout: self.timeout,
        };
        let resp = self.transport.send(&req)?;
        if !(200..300).contains(&resp.status) {
            return Err(format!("HTTP {} from {path}", resp.status));
        }
        Ok(serde_json::from_str(&resp.body).unwrap_or(Value::String(resp.body)))
    }

    /// `GET /get-user-details`: parsed user agent and location of a visitor.
    pub fn user_details(&self, user_agent: Option<&str>, ip: Option<&str>) -> Result<GatewayData, String> {
        let mut q = Vec::new();
        if let Some(ua) = user_agent {
            q.push(("userAgent".to_string(), ua.to_string()));
        }
        if let Some(ip) = ip {
            q.push(("ipAddress".to_string(), ip.to_string()));
        }
        let v = self.get(paths::USER_DETAILS, q)?;
        GatewayData::from_json(&v).ok_or_else(|| format!("unexpected answer from {}: {v}", paths::USER_DETAILS))
    }

    /// `GET /check-attribute`: whether `attribute` is in list `list_id`. A truthy answer
    /// other than `"false"` means yes (the Node SDK's rule); failures mean no.
    pub fn in_list(&self, attribute: &str, list_id: &str) -> bool {
        let q = vec![
            ("attribute".to_string(), attribute.to_string()),
            ("listId".to_string(), list_id.to_string()),
            ("accountId".to_string(), self.account_id.clone()),
            ("sdkKey".to_string(), self.sdk_key.clone()),
        ];
        match self.get(paths::CHECK_ATTRIBUTE, q) {
            Ok(v) => python::truthy(&v) && v != "false",
            Err(e) => {
                self.logger
                    .error(&format!("Error while fetching data from gateway. Error: {e}"));
                false
            }
        }
    }

    /// The user id an alias stands for (the id itself when it is not an alias).
    pub fn resolve_alias(&self, id: &str) -> Result<String, String> {
        let q = vec![
            ("accountId".to_string(), self.account_id.clone()),
            ("sdkKey".to_string(), self.sdk_key.clone()),
            ("userId".to_string(), json!([id]).to_string()),
        ];
        let v = self.get(paths::GET_ALIAS, q)?;
        let list = match &v {
            Value::Array(a) => a,
            Value::Null => return Err(format!("Error getting alias for user id {id}: Response is null")),
            _ => return Err(format!("Error getting alias for user id {id}: Invalid JSON response")),
        };
        for item in list {
            if item.get("aliasId").and_then(Value::as_str) == Some(id) {
                return Ok(item.get("userId").and_then(Value::as_str).unwrap_or(id).to_string());
            }
        }
        Ok(id.to_string())
    }

    /// `POST /user-alias/setUserAlias`; true when the gateway confirms `isAliasSet`.
    pub fn set_alias(&self, user_id: &str, alias_id: &str) -> bool {
        let q = vec![
            ("accountId".to_string(), self.account_id.clone()),
            ("sdkKey".to_string(), self.sdk_key.clone()),
            ("userId".to_string(), user_id.to_string()),
            ("aliasId".to_string(), alias_id.to_string()),
        ];
        let body = json!({"userId": user_id, "aliasId": alias_id});
        let req = Request {
            method: Method::Post,
            url: with_query(&self.base, paths::SET_ALIAS, &q),
            headers: vec![("Content-Type".into(), "application/json".into())],
            body: Some(body.to_string().into_bytes()),
            timeout: self.timeout,
        };
        match self.transport.send(&req) {
            Ok(r) if (200..300).contains(&r.status) => serde_json::from_str::<Value>(&r.body)
                .ok()
                .and_then(|v| v.get("isAliasSet").and_then(Value::as_bool))
                .unwrap_or(false),
            Ok(r) => {
                self.logger.error(&format!("Error setting alias: HTTP {}", r.status));
                false
            }
            Err(e) => {
                self.logger.error(&format!("Error setting alias: {e}"));
                false
            }
        }
    }
}
