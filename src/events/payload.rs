//! Event payloads on VWO's wire format (§11): the JSON bodies and query strings the official
//! SDK sends, built from decision data. Time and randomness come in through [`Stamp`] so the
//! same inputs always give the same bytes.

use serde_json::{Map, Value};
use uuid::Uuid;

use crate::core::decide::identity;
use crate::core::decide::{Impression, UserContext};

/// Who an event is about: what the payload builders need from the user context and the call,
/// copied out so events can be built later on another thread.
#[derive(Debug, Clone, Default)]
pub struct Visitor {
    /// User id.
    pub id: String,
    /// `user_agent`.
    pub user_agent: Option<String>,
    /// `ip_address`.
    pub ip_address: Option<String>,
    /// The `post_segmentation_variables` present in the custom variables, with their values.
    pub post_segmentation: Vec<(String, Value)>,
    /// Context visitor UUID (`None` when it could not be derived).
    pub uuid: Option<String>,
    /// Session id (unix seconds; 0 means "use the event time").
    pub session_id: i64,
}

impl Visitor {
    /// Copies what events need from a context.
    pub fn new(ctx: &UserContext, uuid: Option<String>, session_id: i64) -> Visitor {
        Visitor {
            id: ctx.id.clone(),
            user_agent: ctx.user_agent.clone(),
            ip_address: ctx.ip_address.clone(),
            post_segmentation: ctx
                .post_segmentation_variables
                .iter()
                .filter_map(|k| ctx.custom_variables.get(k).map(|v| (k.clone(), v.clone())))
                .collect(),
            uuid,
            session_id,
        }
    }
}

/// The SDK identity this engine reports in events (decisions.md: its own name and version).
pub const SDK_NAME: &str = "vwo-fme-rust-sdk";
/// The version reported with [`SDK_NAME`].
pub const SDK_VERSION: &str = env!("CARGO_PKG_VERSION");

/// Event names.
pub mod names {
    /// Impression of a rule, holdout or impact campaign.
    pub const VARIATION_SHOWN: &str = "vwo_variationShown";
    /// `set_attribute`.
    pub const SYNC_VISITOR_PROP: &str = "vwo_syncVisitorProp";
    /// Usage tracking when get_flag reported nothing (settings `isMAU`).
    pub const TRACK_USAGE: &str = "vwo_feTrackUsage";
    /// SDK initialised.
    pub const SDK_INIT: &str = "vwo_fmeSdkInit";
    /// SDK usage statistics.
    pub const USAGE_STATS: &str = "vwo_sdkUsageStats";
    /// Remote debug event.
    pub const DEBUG: &str = "vwo_sdkDebug";
}

/// The time and random values of one event.
#[derive(Debug, Clone, Copy)]
pub struct Stamp {
    /// Unix time in milliseconds.
    pub now_ms: i64,
    /// A uniform random number in `[0, 1)` (the `random` query parameter).
    pub random: f64,
}

impl Stamp {
    /// Unix time in seconds.
    pub fn now_s(&self) -> i64 {
        self.now_ms.div_euclid(1000)
    }

    /// The current time with a fresh random number.
    pub fn now() -> Stamp {
        let now_ms = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_millis() as i64)
            .unwrap_or(0);
        Stamp {
            now_ms,
            random: random_unit(),
        }
    }
}

thread_local! {
    /// xorshift64* state, seeded once per thread from the OS (via a UUIDv4).
    static RNG: std::cell::Cell<u64> = std::cell::Cell::new({
        let seed = u64::from_le_bytes(Uuid::new_v4().as_bytes()[..8].try_into().unwrap_or([7; 8]));
        seed | 1
    });
}

/// A uniform random number in `[0, 1)` (cache busting and sampling; not for secrets).
pub fn random_unit() -> f64 {
    let bits = RNG.with(|r| {
        let mut x = r.get();
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        r.set(x);
        x.wrapping_mul(0x2545_f491_4f6c_dd1d)
    });
    (bits >> 11) as f64 / (1u64 << 53) as f64
}

/// Everything an event needs that does not change per call: the account and SDK key from
/// the options, and the SDK identity.
#[derive(Debug, Clone)]
pub struct EventIdentity {
    /// `account_id` option as given (number or string); it appears raw in `vwoMeta`.
    pub account_id: Value,
    /// Python `str()` of the account id.
    pub account_id_str: String,
    /// UUID namespace of the account.
    pub account_namespace: Uuid,
    /// The SDK key.
    pub sdk_key: String,
    /// SDK name reported.
    pub sdk_name: String,
    /// SDK version reported.
    pub sdk_version: String,
}

impl EventIdentity {
    /// Identity for an account and SDK key, reporting this engine's name and version.
    pub fn new(account_id: Value, sdk_key: &str) -> EventIdentity {
        let account_id_str = crate::core::python::str_of(&account_id).into_owned();
        EventIdentity {
            account_namespace: identity::account_namespace(&account_id_str),
            account_id,
            account_id_str,
            sdk_key: sdk_key.to_string(),
            sdk_name: SDK_NAME.to_string(),
            sdk_version: SDK_VERSION.to_string(),
        }
    }

    /// The SDK's own pseudo user for SDK-level events: `{account_id}_{sdk_key}`.
    pub fn sdk_user(&self) -> String {
        format!("{}_{}", self.account_id_str, self.sdk_key)
    }

    /// Visitor UUID of `user_id` in this account (`None` for an empty id).
    pub fn uuid_of(&self, user_id: &str) -> Option<String> {
        (!user_id.is_empty()).then(|| identity::visitor_uuid_in(&self.account_namespace, user_id))
    }

    /// `_get_event_base_payload`: the `{"d": ...}` skeleton of every event.
    #[allow(clippy::too_many_arguments)]
    pub fn base(
        &self,
        visitor_uuid: Option<&str>,
        event_name: &str,
        visitor_ua: Option<&str>,
        visitor_ip: Option<&str>,
        usage_stats: bool,
        stamp: Stamp,
    ) -> Map<String, Value> {
        let vis = visitor_uuid.map(Value::from).unwrap_or(Value::Null);
        let vis_text = visitor_uuid.unwrap_or("None");
        let mut props = Map::with_capacity(8);
        props.insert("vwo_sdkName".into(), Value::from(self.sdk_name.as_str()));
        props.insert("vwo_sdkVersion".into(), Value::from(self.sdk_version.as_str()));
        if !usage_stats {
            props.insert("vwo_envKey".into(), Value::from(self.sdk_key.as_str()));
        }
        let mut event = Map::with_capacity(3);
        event.insert("props".into(), Value::Object(props));
        event.insert("name".into(), Value::from(event_name));
        event.insert("time".into(), Value::from(stamp.now_ms));
        let mut d = Map::with_capacity(8);
        d.insert("msgId".into(), Value::from(format!("{vis_text}-{}", stamp.now_ms)));
        d.insert("visId".into(), vis);
        d.insert("sessionId".into(), Value::from(stamp.now_s()));
        d.insert("event".into(), Value::Object(event));
        if let Some(ua) = visitor_ua {
            d.insert("visitor_ua".into(), Value::from(ua));
        }
        if let Some(ip) = visitor_ip {
            d.insert("visitor_ip".into(), Value::from(ip));
        }
        if !usage_stats {
            let mut vp = Map::new();
            vp.insert("vwo_fs_environment".into(), Value::from(self.sdk_key.as_str()));
            let mut visitor = Map::new();
            visitor.insert("props".into(), Value::Object(vp));
            d.insert("visitor".into(), Value::Object(visitor));
        }
        d
    }

    /// A per-user event skeleton: the context's session and visitor UUID replace the
    /// defaults (`get_track_user_payload_data` and friends).
    fn user_base(&self, v: &Visitor, event_name: &str, stamp: Stamp) -> Map<String, Value> {
        let own = self.uuid_of(&v.id);
        let mut d = self.base(
            own.as_deref(),
            event_name,
            v.user_agent.as_deref(),
            v.ip_address.as_deref(),
            false,
            stamp,
        );
        if v.session_id != 0 {
            d.insert("sessionId".into(), Value::from(v.session_id));
        }
        if let Some(u) = v.uuid.as_deref().filter(|u| !u.is_empty()) {
            d.insert("msgId".into(), Value::from(format!("{u}-{}", stamp.now_ms)));
            d.insert("visId".into(), Value::from(u));
        }
        d
    }

    /// A `vwo_variationShown` impression (§11.2 rule / impact, §11.3 holdout).
    pub fn impression(
        &self,
        imp: &Impression,
        v: &Visitor,
        vwo_meta: Option<&Map<String, Value>>,
        stamp: Stamp,
    ) -> Value {
        let mut d = if imp.is_holdout() {
            let own = self.uuid_of(&v.id);
            self.base(
                own.as_deref(),
                names::VARIATION_SHOWN,
                v.user_agent.as_deref(),
                v.ip_address.as_deref(),
                false,
                stamp,
            )
        } else {
            self.user_base(v, names::VARIATION_SHOWN, stamp)
        };
        let props = event_props(&mut d);
        props.insert("id".into(), imp.campaign_id.clone());
        props.insert("variation".into(), imp.variation.to_value());
        props.insert("isFirst".into(), Value::from(1));
        if let Some(fid) = &imp.holdout_feature_id {
            props.insert("fId".into(), fid.clone());
        } else {
            if let Some(meta) = vwo_meta.filter(|m| !m.is_empty()) {
                props.insert("vwoMeta".into(), Value::Object(meta.clone()));
            }
            let vp = visitor_props(&mut d);
            for (k, val) in &v.post_segmentation {
                vp.insert(k.clone(), val.clone());
            }
            if let Some(ip) = v.ip_address.as_deref().filter(|ip| !ip.is_empty()) {
                vp.insert("ip".into(), Value::from(ip));
            }
        }
        wrap(d)
    }

    /// A custom event from `track_event` (§11.4).
    pub fn track(&self, event_name: &str, v: &Visitor, properties: &Map<String, Value>, stamp: Stamp) -> Value {
        let mut d = self.user_base(v, event_name, stamp);
        let props = event_props(&mut d);
        props.insert("isCustomEvent".into(), Value::Bool(true));
        props.insert("variation".into(), Value::from(1));
        props.insert("id".into(), Value::from(1));
        for (k, val) in properties {
            props.insert(k.clone(), val.clone());
        }
        wrap(d)
    }

    /// A `vwo_syncVisitorProp` event from `set_attribute` (§11.5). `settings_sdk_key` is the
    /// settings' key, which the official SDK puts in `vwo_fs_environment`.
    pub fn attribute(
        &self,
        v: &Visitor,
        attributes: &Map<String, Value>,
        settings_sdk_key: &str,
        stamp: Stamp,
    ) -> Value {
        let mut d = self.user_base(v, names::SYNC_VISITOR_PROP, stamp);
        let props = event_props(&mut d);
        props.insert("isCustomEvent".into(), Value::Bool(true));
        props.insert("vwo_fs_environment".into(), Value::from(settings_sdk_key));
        let vp = visitor_props(&mut d);
        for (k, val) in attributes {
            vp.insert(k.clone(), val.clone());
        }
        wrap(d)
    }

    /// A `vwo_feTrackUsage` event (§11.6).
    pub fn usage_tracking(&self, v: &Visitor, stamp: Stamp) -> Value {
        wrap(self.user_base(v, names::TRACK_USAGE, stamp))
    }

    /// The `vwo_fmeSdkInit` event (§11.7).
    pub fn sdk_init(&self, stamp: Stamp) -> Value {
        let uuid = self.uuid_of(&self.sdk_user());
        let mut d = self.base(uuid.as_deref(), names::SDK_INIT, None, None, false, stamp);
        let props = event_props(&mut d);
        props.insert("vwo_fs_environment".into(), Value::from(self.sdk_key.as_str()));
        props.insert("product".into(), Value::from("fme"));
        let mut data = Map::new();
        data.insert("isSDKInitialized".into(), Value::Bool(true));
        props.insert("data".into(), Value::Object(data));
        wrap(d)
    }

    /// The `vwo_sdkUsageStats` event (§11.8), under the settings' `usageStatsAccountId`.
    pub fn usage_stats(
        &self,
        usage_account: &Value,
        vwo_meta: &Map<String, Value>,
        settings_fetch_ms: Value,
        init_ms: Value,
        init_config: Value,
        stamp: Stamp,
    ) -> Value {
        let acc = crate::core::python::str_of(usage_account).into_owned();
        let uuid = identity::visitor_uuid(&self.sdk_user(), &acc);
        let mut d = self.base(uuid.as_deref(), names::USAGE_STATS, None, None, true, stamp);
        let props = event_props(&mut d);
        props.insert("product".into(), Value::from("fme"));
        props.insert("vwoMeta".into(), Value::Object(vwo_meta.clone()));
        let mut data = Map::new();
        data.insert("settingsFetchTime".into(), settings_fetch_ms);
        data.insert("sdkInitTime".into(), init_ms);
        data.insert("initConfig".into(), init_config);
        props.insert("data".into(), Value::Object(data));
        wrap(d)
    }

    /// A `vwo_sdkDebug` event (§11.9): `props` become `vwoMeta` with the SDK's identity.
    pub fn debug(&self, mut props: Map<String, Value>, stamp: Stamp) -> Value {
        let own = self.uuid_of(&self.sdk_user());
        // The official builder's defaults: empty user agent and IP (present, not absent).
        let mut d = self.base(own.as_deref(), names::DEBUG, Some(""), Some(""), false, stamp);
        match props.get("uuid").filter(|v| !v.is_null()).cloned() {
            None => {
                props.insert("uuid".into(), d.get("visId").cloned().unwrap_or(Value::Null));
            }
            Some(u) => {
                let t = crate::core::python::str_of(&u).into_owned();
                d.insert("msgId".into(), Value::from(format!("{t}-{}", stamp.now_ms)));
                d.insert("visId".into(), u);
            }
        }
        match props.get("sId").filter(|v| !v.is_null()).cloned() {
            None => {
                props.insert("sId".into(), d.get("sessionId").cloned().unwrap_or(Value::Null));
            }
            Some(s) => {
                d.insert("sessionId".into(), s);
            }
        }
        props.insert("a".into(), Value::from(self.account_id_str.as_str()));
        props.insert("product".into(), Value::from("fme"));
        props.insert("sn".into(), Value::from(self.sdk_name.as_str()));
        props.insert("sv".into(), Value::from(self.sdk_version.as_str()));
        let ns = Uuid::new_v5(&Uuid::NAMESPACE_DNS, self.sdk_key.as_bytes());
        let event_id = Uuid::new_v5(&ns, Uuid::new_v4().to_string().as_bytes());
        props.insert("eventId".into(), Value::from(event_id.to_string()));
        let mut p = Map::new();
        p.insert("vwoMeta".into(), Value::Object(props));
        if let Some(Value::Object(event)) = d.get_mut("event") {
            event.insert("props".into(), Value::Object(p));
        }
        wrap(d)
    }

    /// Query of a single-event POST to `/events/t` (§11.1), in the official order.
    /// `visitor_ua`/`visitor_ip` are sent empty when unknown (decisions.md N6).
    pub fn event_query(
        &self,
        event_name: &str,
        visitor_ua: Option<&str>,
        visitor_ip: Option<&str>,
        usage_account: Option<&Value>,
        stamp: Stamp,
    ) -> Vec<(String, String)> {
        let a = match usage_account {
            Some(acc) => crate::core::python::str_of(acc).into_owned(),
            None => self.account_id_str.clone(),
        };
        vec![
            ("en".into(), event_name.into()),
            ("a".into(), a),
            ("eTime".into(), stamp.now_ms.to_string()),
            ("random".into(), crate::core::python::float_repr(stamp.random)),
            ("p".into(), "FS".into()),
            ("visitor_ua".into(), visitor_ua.unwrap_or("").into()),
            ("visitor_ip".into(), visitor_ip.unwrap_or("").into()),
            ("sn".into(), self.sdk_name.clone()),
            ("sv".into(), self.sdk_version.clone()),
            ("env".into(), self.sdk_key.clone()),
        ]
    }

    /// Query of a batch POST to `/server-side/batch-events-v2` (§11.10).
    pub fn batch_query(&self, account_id: &str, sdk_key: &str) -> Vec<(String, String)> {
        vec![
            ("a".into(), account_id.into()),
            ("env".into(), sdk_key.into()),
            ("sn".into(), self.sdk_name.clone()),
            ("sv".into(), self.sdk_version.clone()),
        ]
    }
}

fn event_props(d: &mut Map<String, Value>) -> &mut Map<String, Value> {
    let event = d.entry("event").or_insert_with(|| Value::Object(Map::new()));
    if !event.is_object() {
        *event = Value::Object(Map::new());
    }
    let Value::Object(event) = event else {
        unreachable!("set to an object above")
    };
    let props = event.entry("props").or_insert_with(|| Value::Object(Map::new()));
    if !props.is_object() {
        *props = Value::Object(Map::new());
    }
    let Value::Object(props) = props else {
        unreachable!("set to an object above")
    };
    props
}

fn visitor_props(d: &mut Map<String, Value>) -> &mut Map<String, Value> {
    let visitor = d.entry("visitor").or_insert_with(|| Value::Object(Map::new()));
    if !visitor.is_object() {
        *visitor = Value::Object(Map::new());
    }
    let Value::Object(visitor) = visitor else {
        unreachable!("set to an object above")
    };
    let props = visitor.entry("props").or_insert_with(|| Value::Object(Map::new()));
    if !props.is_object() {
        *props = Value::Object(Map::new());
    }
    let Value::Object(props) = props else {
        unreachable!("set to an object above")
    };
    props
}

fn wrap(d: Map<String, Value>) -> Value {
    let mut outer = Map::with_capacity(1);
    outer.insert("d".into(), Value::Object(d));
    Value::Object(outer)
}

/// `{"ev": [...]}`, the body of a batch request.
pub fn batch_body(events: Vec<Value>) -> Value {
    let mut m = Map::with_capacity(1);
    m.insert("ev".into(), Value::Array(events));
    Value::Object(m)
}
