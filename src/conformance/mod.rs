//! The conformance kit's formats: read a cases file, replay it, write a results file that
//! compares call by call with the official SDK's recorded results (`shared/conformance`
//! "Cases format" and "Results format").
//!
//! [`replay::replay_core`] drives the decision core directly (no network, no client): it
//! records each call's result, storage reads and writes, the integration payload and the
//! batch request each `get_flag` causes.

pub mod compare;
pub mod normalize;
pub mod replay;

use serde_json::Value;

/// Reads a JSON document.
pub fn read_json(path: &std::path::Path) -> Result<Value, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    serde_json::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))
}

/// Writes a results document the way the kit does: one call per line, so that diffs of
/// results files stay readable.
pub fn write_results(doc: &Value, out: &mut String) {
    let Value::Object(m) = doc else {
        out.push_str(&doc.to_string());
        return;
    };
    out.push_str("{\n");
    let n = m.len();
    for (i, (k, v)) in m.iter().enumerate() {
        out.push_str(&format!(" {}: ", Value::from(k.as_str())));
        match v {
            Value::Array(items) if k == "calls" || k == "final_storage" => {
                out.push_str("[\n");
                for (j, it) in items.iter().enumerate() {
                    out.push_str(&it.to_string());
                    out.push_str(if j + 1 < items.len() { ",\n" } else { "\n" });
                }
                out.push(']');
            }
            other => out.push_str(&serde_json::to_string_pretty(other).unwrap_or_default()),
        }
        out.push_str(if i + 1 < n { ",\n" } else { "\n" });
    }
    out.push_str("}\n");
}
