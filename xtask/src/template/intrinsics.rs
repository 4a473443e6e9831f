//! The few intrinsic functions the template's settings use, evaluated for given parameter
//! values: `!Ref` of a parameter, `!If`, and the conditions `!Equals`, `!Not`, `!And`, `!Or`.

use std::collections::BTreeMap;

use serde_json::Value;

use super::Template;
use crate::Result;

/// Parameter values by name.
pub type Parameters = BTreeMap<String, String>;

impl Template {
    /// Every parameter's default, which a deploy without overrides gets.
    pub fn default_parameters(&self) -> Result<Parameters> {
        self.parameter_names()
            .into_iter()
            .map(|name| Ok((name.clone(), self.parameter_default(&name)?)))
            .collect()
    }

    /// Whether CloudFormation would take `value` for the parameter `name`: one of its
    /// `AllowedValues`, and for a number within `MinValue` and `MaxValue`.
    pub fn check_parameter(&self, name: &str, value: &str) -> Result<()> {
        let declared = &self.parameters[name];
        let text = |value: &Value| {
            value
                .as_str()
                .map_or_else(|| value.to_string(), str::to_owned)
        };
        if let Some(allowed) = declared["AllowedValues"].as_array()
            && !allowed.iter().any(|allowed| text(allowed) == value)
        {
            return Err(format!("{name}={value} is not among its AllowedValues").into());
        }
        if declared["Type"] == "Number" {
            let number: f64 = value
                .parse()
                .map_err(|_| format!("{name}={value} is not a number"))?;
            let below = declared["MinValue"]
                .as_f64()
                .is_some_and(|min| number < min);
            let above = declared["MaxValue"]
                .as_f64()
                .is_some_and(|max| number > max);
            if below || above {
                return Err(format!("{name}={value} is outside its MinValue and MaxValue").into());
            }
        }
        Ok(())
    }

    /// `value` with its intrinsics evaluated: `None` for `AWS::NoValue` (the property is not
    /// set). Anything else it does not know is an error, not a guess.
    pub fn evaluate(&self, value: &Value, parameters: &Parameters) -> Result<Option<Value>> {
        let Some(object) = value.as_object().filter(|object| object.len() == 1) else {
            return Ok(Some(value.clone()));
        };
        if let Some(name) = object.get("Ref").and_then(Value::as_str) {
            if name == "AWS::NoValue" {
                return Ok(None);
            }
            let given = parameters
                .get(name)
                .ok_or_else(|| format!("!Ref {name}: not a parameter"))?;
            // CloudFormation passes every parameter as a string; a `Number` one reads as a number.
            let number = given.parse::<u64>().map(Value::from).ok().or_else(|| {
                given
                    .parse::<f64>()
                    .ok()
                    .and_then(|f| serde_json::Number::from_f64(f).map(Value::Number))
            });
            return Ok(Some(number.unwrap_or_else(|| Value::String(given.clone()))));
        }
        if let Some([condition, then, otherwise]) = object
            .get("Fn::If")
            .and_then(Value::as_array)
            .map(Vec::as_slice)
        {
            let name = condition.as_str().ok_or("!If names no condition")?;
            let chosen = if self.condition(name, parameters)? {
                then
            } else {
                otherwise
            };
            return self.evaluate(chosen, parameters);
        }
        Err(format!("cannot evaluate {value}").into())
    }

    /// Whether the condition called `name` holds for `parameters`.
    pub fn condition(&self, name: &str, parameters: &Parameters) -> Result<bool> {
        self.named(name, parameters, 0)
    }

    fn named(&self, name: &str, parameters: &Parameters, depth: usize) -> Result<bool> {
        // CloudFormation refuses a condition that refers to itself; so do we, rather than recurse
        // without end.
        if depth > self.conditions.as_object().map_or(0, serde_json::Map::len) {
            return Err(format!("the condition {name} refers to itself").into());
        }
        let definition = &self.conditions[name];
        if definition.is_null() {
            return Err(format!("no condition {name}").into());
        }
        self.holds(definition, parameters, depth + 1)
    }

    fn holds(&self, expression: &Value, parameters: &Parameters, depth: usize) -> Result<bool> {
        let Some((function, arguments)) = expression
            .as_object()
            .filter(|object| object.len() == 1)
            .and_then(|object| object.iter().next())
        else {
            return Err(format!("not a condition: {expression}").into());
        };
        let operands = arguments.as_array().map(Vec::as_slice).unwrap_or_default();
        match (function.as_str(), operands) {
            ("Condition", _) => {
                self.named(arguments.as_str().unwrap_or_default(), parameters, depth)
            }
            ("Fn::Not", [inner]) => Ok(!self.holds(inner, parameters, depth)?),
            ("Fn::And", all) => all.iter().try_fold(true, |acc, inner| {
                Ok(acc && self.holds(inner, parameters, depth)?)
            }),
            ("Fn::Or", any) => any.iter().try_fold(false, |acc, inner| {
                Ok(acc || self.holds(inner, parameters, depth)?)
            }),
            ("Fn::Equals", [left, right]) => {
                let text = |value: &Value| -> Result<String> {
                    Ok(match self.evaluate(value, parameters)? {
                        Some(Value::String(text)) => text,
                        Some(other) => other.to_string(),
                        None => String::new(),
                    })
                };
                Ok(text(left)? == text(right)?)
            }
            _ => Err(format!("cannot evaluate the condition {expression}").into()),
        }
    }
}
