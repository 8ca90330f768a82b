//! Generic plan rules, so resources only declare them.
//!
//! Terraform proposes a new state (config merged with prior computed values); the rules
//! here turn it into the planned state: defaults for unset optional+computed attributes,
//! "known after apply" for computed values the apply will decide, prior values for
//! attributes declared `use_state_for_unknown`, and the paths whose change forces a
//! replacement. See plugin-protocol notes §3.5 for what Terraform accepts.

use crate::framework::schema::{Attribute, Schema};
use crate::value::{AttributePath, Value};

/// The outcome of planning one resource change.
#[derive(Clone, Debug, PartialEq)]
pub struct Plan {
    pub planned: Value,
    pub requires_replace: Vec<AttributePath>,
}

/// Plans a create, update or destroy from Terraform's `proposed` new state.
pub fn plan_change(schema: &Schema, prior: &Value, proposed: &Value, config: &Value) -> Plan {
    if proposed.is_null() {
        return Plan {
            planned: Value::Null,
            requires_replace: Vec::new(),
        };
    }
    let mut planned = proposed.clone();
    if prior.is_null() {
        fill_computed(schema, config, &mut planned, |_| None);
        return Plan {
            planned,
            requires_replace: Vec::new(),
        };
    }

    let requires_replace: Vec<AttributePath> = schema
        .block
        .attributes
        .iter()
        .filter(|a| a.requires_replace && differs(a, prior, &planned, config))
        .map(|a| AttributePath::attr(&a.name))
        .collect();
    let configured_change = schema
        .block
        .attributes
        .iter()
        .filter(|a| a.required || a.optional)
        .any(|a| differs(a, prior, &planned, config))
        || schema
            .block
            .blocks
            .iter()
            .any(|b| prior.get(&b.name) != planned.get(&b.name));

    if !requires_replace.is_empty() {
        // The object will be created anew, so nothing computed carries over.
        fill_computed(schema, config, &mut planned, |_| None);
    } else if configured_change {
        fill_computed(schema, config, &mut planned, |a| {
            a.use_state_for_unknown.then(|| prior.get(&a.name).clone())
        });
    }
    Plan {
        planned,
        requires_replace,
    }
}

/// True when the planned value of `attribute` may differ from its prior value. An unset
/// optional+computed attribute with a default compares its default.
fn differs(attribute: &Attribute, prior: &Value, planned: &Value, config: &Value) -> bool {
    let planned_value = match (&attribute.default, config.get(&attribute.name)) {
        (Some(default), Value::Null) => default,
        _ => planned.get(&attribute.name),
    };
    // An unknown value may turn out different, so it counts as a change; planning it as
    // unchanged would make the final plan at apply time contradict this one.
    !planned_value.is_known() || planned_value != prior.get(&attribute.name)
}

/// Sets every computed attribute the configuration leaves null: its default, else
/// `keep(attribute)`, else unknown.
fn fill_computed(schema: &Schema, config: &Value, planned: &mut Value, keep: impl Fn(&Attribute) -> Option<Value>) {
    for attribute in schema.block.attributes.iter().filter(|a| a.computed) {
        if !config.get(&attribute.name).is_null() {
            continue;
        }
        let value = attribute
            .default
            .clone()
            .or_else(|| keep(attribute))
            .unwrap_or(Value::Unknown);
        if let Some(slot) = planned.get_mut(&attribute.name) {
            *slot = value;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::framework::schema::{string, string_set};
    use std::collections::BTreeMap;

    fn schema() -> Schema {
        Schema::new("test").attributes([
            string("org_id").required().requires_replace(),
            string("description").required(),
            string_set("role_names").required(),
            string("cloud").default_value(Value::string("ANY")).requires_replace(),
            string("api_key_id").computed().use_state_for_unknown(),
            string("status").computed(),
        ])
    }

    fn object(pairs: &[(&str, Value)]) -> Value {
        let mut fields: BTreeMap<String, Value> =
            ["org_id", "description", "role_names", "cloud", "api_key_id", "status"]
                .iter()
                .map(|name| (name.to_string(), Value::Null))
                .collect();
        for (name, value) in pairs {
            fields.insert(name.to_string(), value.clone());
        }
        Value::Object(fields)
    }

    fn roles(names: &[&str]) -> Value {
        Value::Set(names.iter().map(|n| Value::string(*n)).collect())
    }

    fn config(description: &str, org: &str) -> Value {
        object(&[
            ("org_id", Value::string(org)),
            ("description", Value::string(description)),
            ("role_names", roles(&["ORG_OWNER"])),
        ])
    }

    fn state(description: &str, org: &str) -> Value {
        object(&[
            ("org_id", Value::string(org)),
            ("description", Value::string(description)),
            ("role_names", roles(&["ORG_OWNER"])),
            ("cloud", Value::string("ANY")),
            ("api_key_id", Value::string("k1")),
            ("status", Value::string("ACTIVE")),
        ])
    }

    /// Terraform's proposed new state: config with prior values for unset computed attributes.
    fn proposed(prior: &Value, config: &Value) -> Value {
        let mut proposed = config.clone();
        for name in ["cloud", "api_key_id", "status"] {
            if config.get(name).is_null() {
                *proposed.get_mut(name).unwrap() = prior.get(name).clone();
            }
        }
        proposed
    }

    #[test]
    fn create_marks_computed_unknown_and_applies_defaults() {
        let config = config("d", "a");
        let plan = plan_change(&schema(), &Value::Null, &proposed(&Value::Null, &config), &config);
        assert_eq!(plan.planned.get("api_key_id"), &Value::Unknown);
        assert_eq!(plan.planned.get("status"), &Value::Unknown);
        assert_eq!(plan.planned.get("cloud"), &Value::string("ANY"));
        assert_eq!(plan.planned.get("description"), &Value::string("d"));
        assert!(plan.requires_replace.is_empty());
    }

    #[test]
    fn no_change_keeps_everything() {
        let prior = state("d", "a");
        let config = config("d", "a");
        let plan = plan_change(&schema(), &prior, &proposed(&prior, &config), &config);
        assert_eq!(plan.planned, prior);
        assert!(plan.requires_replace.is_empty());
    }

    #[test]
    fn in_place_update_keeps_use_state_values_only() {
        let prior = state("d", "a");
        let config = config("new", "a");
        let plan = plan_change(&schema(), &prior, &proposed(&prior, &config), &config);
        assert_eq!(plan.planned.get("api_key_id"), &Value::string("k1"));
        assert_eq!(plan.planned.get("status"), &Value::Unknown);
        assert_eq!(plan.planned.get("cloud"), &Value::string("ANY"));
        assert!(plan.requires_replace.is_empty());
    }

    #[test]
    fn requires_replace_names_the_attribute() {
        let prior = state("d", "a");
        let config = config("d", "b");
        let plan = plan_change(&schema(), &prior, &proposed(&prior, &config), &config);
        assert_eq!(plan.requires_replace, vec![AttributePath::attr("org_id")]);
        assert_eq!(plan.planned.get("api_key_id"), &Value::Unknown);
    }

    #[test]
    fn destroy_plans_null() {
        let prior = state("d", "a");
        let plan = plan_change(&schema(), &prior, &Value::Null, &Value::Null);
        assert_eq!(plan.planned, Value::Null);
    }

    #[test]
    fn unknown_config_value_forces_replacement() {
        let prior = state("d", "a");
        let mut config = config("d", "a");
        *config.get_mut("org_id").unwrap() = Value::Unknown;
        let plan = plan_change(&schema(), &prior, &proposed(&prior, &config), &config);
        assert_eq!(plan.requires_replace, vec![AttributePath::attr("org_id")]);
    }
}
