//! A small command-line parser: `--name value` options, `--flag` switches, positionals.

use std::collections::HashMap;

/// Parsed arguments of one subcommand.
pub struct Args {
    values: HashMap<String, String>,
    flags: Vec<String>,
    pub positional: Vec<String>,
}

impl Args {
    /// Parses `raw`; `switches` are the options that take no value.
    pub fn parse(raw: &[String], switches: &[&str]) -> Result<Args, String> {
        let mut values = HashMap::new();
        let mut flags = Vec::new();
        let mut positional = Vec::new();
        let mut it = raw.iter();
        while let Some(a) = it.next() {
            if let Some(name) = a.strip_prefix("--") {
                if let Some((k, v)) = name.split_once('=') {
                    values.insert(k.to_string(), v.to_string());
                } else if switches.contains(&name) {
                    flags.push(name.to_string());
                } else {
                    let v = it.next().ok_or_else(|| format!("--{name} needs a value"))?;
                    values.insert(name.to_string(), v.clone());
                }
            } else {
                positional.push(a.clone());
            }
        }
        Ok(Args { values, flags, positional })
    }

    /// A required option.
    pub fn req(&self, name: &str) -> Result<&str, String> {
        self.values.get(name).map(String::as_str).ok_or_else(|| format!("missing --{name}"))
    }


    /// Whether a switch was given.
    pub fn flag(&self, name: &str) -> bool {
        self.flags.iter().any(|f| f == name)
    }
}
