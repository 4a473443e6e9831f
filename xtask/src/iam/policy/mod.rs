//! Identity policies, and the decision IAM makes from them for one request.
//!
//! What AWS documents ("Policy evaluation logic", single account, identity-based policies only):
//! a request is denied unless some statement allows it, and any statement that denies it wins over
//! every allow. A statement applies when the action matches one of its `Action` patterns
//! (case-insensitively) or none of its `NotAction` ones, the resource matches one of its `Resource`
//! patterns (case-sensitively) or none of its `NotResource` ones, and every condition holds.
//! `*` and `?` are wildcards in both, and in a resource `*` matches across `/` and `:` too.

use std::collections::BTreeMap;

use serde_json::Value;

use crate::Result;

/// One function's policy: its statements, in the template's order, each already resolved to
/// local ARNs.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Policy {
    pub statements: Vec<Statement>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Statement {
    /// Where it comes from, for people: `Policies[0].Statement[1]`, or what SAM adds.
    pub origin: String,
    pub effect: Effect,
    pub actions: Patterns,
    pub resources: Patterns,
    pub conditions: Vec<Condition>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Effect {
    Allow,
    Deny,
}

/// `Action` or `NotAction` (and the same for resources).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Patterns {
    Any(Vec<String>),
    NoneOf(Vec<String>),
}

impl Patterns {
    /// The indexes of the patterns `value` matches; for `NoneOf`, `[0]` when it matches none.
    fn matching(&self, value: &str, ignore_case: bool) -> Vec<usize> {
        let matches = |pattern: &String| {
            if ignore_case {
                wildcard(&pattern.to_ascii_lowercase(), &value.to_ascii_lowercase())
            } else {
                wildcard(pattern, value)
            }
        };
        match self {
            Self::Any(patterns) => (0..patterns.len())
                .filter(|&index| matches(&patterns[index]))
                .collect(),
            Self::NoneOf(patterns) => {
                if patterns.iter().any(matches) {
                    Vec::new()
                } else {
                    vec![0]
                }
            }
        }
    }

    /// The patterns as written.
    pub fn patterns(&self) -> &[String] {
        match self {
            Self::Any(patterns) | Self::NoneOf(patterns) => patterns,
        }
    }
}

/// One condition operator applied to one key: `StringEquals: {ses:FromAddress: [a, b]}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Condition {
    pub operator: Operator,
    /// `ForAnyValue:` / `ForAllValues:` for keys with several values.
    pub set: SetOperator,
    pub if_exists: bool,
    pub key: String,
    pub values: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Operator {
    StringEquals,
    StringNotEquals,
    StringEqualsIgnoreCase,
    StringNotEqualsIgnoreCase,
    StringLike,
    StringNotLike,
    ArnEquals,
    ArnLike,
    ArnNotEquals,
    ArnNotLike,
    Bool,
    Null,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SetOperator {
    Single,
    ForAnyValue,
    ForAllValues,
}

impl Operator {
    fn parse(name: &str) -> Option<Self> {
        Some(match name {
            "StringEquals" => Self::StringEquals,
            "StringNotEquals" => Self::StringNotEquals,
            "StringEqualsIgnoreCase" => Self::StringEqualsIgnoreCase,
            "StringNotEqualsIgnoreCase" => Self::StringNotEqualsIgnoreCase,
            "StringLike" => Self::StringLike,
            "StringNotLike" => Self::StringNotLike,
            "ArnEquals" => Self::ArnEquals,
            "ArnLike" => Self::ArnLike,
            "ArnNotEquals" => Self::ArnNotEquals,
            "ArnNotLike" => Self::ArnNotLike,
            "Bool" => Self::Bool,
            "Null" => Self::Null,
            _ => return None,
        })
    }

    fn negated(self) -> bool {
        matches!(
            self,
            Self::StringNotEquals
                | Self::StringNotEqualsIgnoreCase
                | Self::StringNotLike
                | Self::ArnNotEquals
                | Self::ArnNotLike
        )
    }

    /// Whether one request value matches one policy value (before negation).
    fn matches(self, policy: &str, request: &str) -> bool {
        match self {
            Self::StringEquals | Self::StringNotEquals => policy == request,
            Self::StringEqualsIgnoreCase | Self::StringNotEqualsIgnoreCase => {
                policy.eq_ignore_ascii_case(request)
            }
            Self::StringLike | Self::StringNotLike | Self::ArnLike | Self::ArnNotLike => {
                wildcard(policy, request)
            }
            Self::ArnEquals | Self::ArnNotEquals => {
                // ArnEquals compares each of the six colon-separated parts, with wildcards.
                policy.splitn(6, ':').count() == request.splitn(6, ':').count()
                    && wildcard(policy, request)
            }
            Self::Bool => policy.eq_ignore_ascii_case(request),
            Self::Null => false,
        }
    }
}

impl Condition {
    /// Whether the condition holds for a request whose context gives `key` these `values` (none
    /// when the request does not carry the key).
    fn holds(&self, context: &Context) -> bool {
        // Condition keys are not case-sensitive.
        let values = context
            .iter()
            .find(|(key, _)| key.eq_ignore_ascii_case(&self.key))
            .map(|(_, values)| values.as_slice())
            .unwrap_or_default();
        if self.operator == Operator::Null {
            // `Null: {key: true}` holds when the key is absent.
            let absent = values.is_empty();
            return self
                .values
                .iter()
                .any(|value| value.eq_ignore_ascii_case(&absent.to_string()));
        }
        if values.is_empty() {
            return match self.set {
                // ForAllValues is vacuously true for an empty set, ForAnyValue false.
                SetOperator::ForAllValues => true,
                SetOperator::ForAnyValue => false,
                SetOperator::Single => self.if_exists || self.operator.negated(),
            };
        }
        let value_holds = |request: &String| {
            let any = self
                .values
                .iter()
                .any(|policy| self.operator.matches(policy, request));
            if self.operator.negated() { !any } else { any }
        };
        match self.set {
            SetOperator::ForAllValues => values.iter().all(value_holds),
            SetOperator::ForAnyValue => values.iter().any(value_holds),
            // A single-valued key with several values (it should not happen) must match in all.
            SetOperator::Single => values.iter().all(value_holds),
        }
    }
}

/// The condition keys a request carries, and their values.
pub type Context = BTreeMap<String, Vec<String>>;

/// The statement, action pattern and resource pattern that allowed a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Grant {
    pub statement: usize,
    pub action: usize,
    pub resource: usize,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    /// Allowed, by these grants (every one that matches, so the report can tell which are used).
    Allowed(Vec<Grant>),
    /// A `Deny` statement matched (its index).
    ExplicitlyDenied(usize),
    /// Nothing allowed it.
    ImplicitlyDenied,
}

impl Decision {
    pub fn allowed(&self) -> bool {
        matches!(self, Self::Allowed(_))
    }
}

impl Policy {
    /// IAM's decision for `action` on `resource` with the condition keys in `context`.
    pub fn decide(&self, action: &str, resource: &str, context: &Context) -> Decision {
        let mut grants = Vec::new();
        for (index, statement) in self.statements.iter().enumerate() {
            let actions = statement.actions.matching(action, true);
            if actions.is_empty() {
                continue;
            }
            let resources = statement.resources.matching(resource, false);
            if resources.is_empty() {
                continue;
            }
            if !statement.conditions.iter().all(|c| c.holds(context)) {
                continue;
            }
            match statement.effect {
                Effect::Deny => return Decision::ExplicitlyDenied(index),
                Effect::Allow => {
                    for &action in &actions {
                        for &resource in &resources {
                            grants.push(Grant {
                                statement: index,
                                action,
                                resource,
                            });
                        }
                    }
                }
            }
        }
        if grants.is_empty() {
            Decision::ImplicitlyDenied
        } else {
            Decision::Allowed(grants)
        }
    }
}

/// Reads one statement of a policy document whose values are already resolved to strings.
pub fn statement(origin: String, document: &Value) -> Result<Statement> {
    let object = document
        .as_object()
        .ok_or_else(|| format!("{origin}: a statement must be a mapping"))?;
    for key in object.keys() {
        if !matches!(
            key.as_str(),
            "Sid" | "Effect" | "Action" | "NotAction" | "Resource" | "NotResource" | "Condition"
        ) {
            return Err(format!("{origin}: unsupported statement field {key}").into());
        }
    }
    let effect = match document["Effect"].as_str() {
        Some("Allow") => Effect::Allow,
        Some("Deny") => Effect::Deny,
        other => return Err(format!("{origin}: Effect is {other:?}").into()),
    };
    let patterns = |positive: &str, negative: &str| -> Result<Patterns> {
        match (&document[positive], &document[negative]) {
            (Value::Null, Value::Null) => {
                Err(format!("{origin}: needs {positive} or {negative}").into())
            }
            (value, Value::Null) => Ok(Patterns::Any(strings(&origin, positive, value)?)),
            (Value::Null, value) => Ok(Patterns::NoneOf(strings(&origin, negative, value)?)),
            _ => Err(format!("{origin}: both {positive} and {negative}").into()),
        }
    };
    let actions = patterns("Action", "NotAction")?;
    for action in actions.patterns() {
        if action != "*" && !action.contains(':') {
            return Err(format!("{origin}: action {action} has no service prefix").into());
        }
    }
    let mut conditions = Vec::new();
    for (operator, keys) in document["Condition"].as_object().into_iter().flatten() {
        let (set, rest) = match operator.split_once(':') {
            Some(("ForAnyValue", rest)) => (SetOperator::ForAnyValue, rest),
            Some(("ForAllValues", rest)) => (SetOperator::ForAllValues, rest),
            Some(_) => return Err(format!("{origin}: unknown condition {operator}").into()),
            None => (SetOperator::Single, operator.as_str()),
        };
        let (name, if_exists) = match rest.strip_suffix("IfExists") {
            Some(name) => (name, true),
            None => (rest, false),
        };
        let operator = Operator::parse(name).ok_or_else(|| {
            format!("{origin}: condition operator {operator} is not one the local gate knows")
        })?;
        for (key, values) in keys
            .as_object()
            .ok_or_else(|| format!("{origin}: condition {name} must map keys to values"))?
        {
            // The gate supplies the services' own keys, not the global ones (aws:SourceIp,
            // aws:SecureTransport...): a condition on one would hold locally where it fails on
            // AWS, or the other way round.
            if key.to_ascii_lowercase().starts_with("aws:") {
                return Err(format!(
                    "{origin}: the local IAM gate does not supply the global condition key {key}"
                )
                .into());
            }
            conditions.push(Condition {
                operator,
                set,
                if_exists,
                key: key.clone(),
                values: strings(&origin, key, values)?,
            });
        }
    }
    let resources = patterns("Resource", "NotResource")?;
    Ok(Statement {
        origin,
        effect,
        actions,
        resources,
        conditions,
    })
}

/// A string or a list of strings (booleans and numbers as IAM reads them: as strings).
fn strings(origin: &str, field: &str, value: &Value) -> Result<Vec<String>> {
    let one = |value: &Value| match value {
        Value::String(text) => Ok(text.clone()),
        Value::Bool(flag) => Ok(flag.to_string()),
        Value::Number(number) => Ok(number.to_string()),
        other => Err(format!(
            "{origin}: {field} holds {other}, not a resolved string"
        )),
    };
    match value {
        Value::Array(items) => Ok(items.iter().map(one).collect::<Result<_, _>>()?),
        single => Ok(vec![one(single)?]),
    }
}

/// IAM's wildcard match: `*` is any run of characters (`/` and `:` included), `?` any one.
pub fn wildcard(pattern: &str, value: &str) -> bool {
    let pattern: Vec<char> = pattern.chars().collect();
    let value: Vec<char> = value.chars().collect();
    // Iterative matching with one backtrack point, linear in practice.
    let (mut p, mut v) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while v < value.len() {
        if p < pattern.len() && (pattern[p] == '?' || pattern[p] == value[v]) {
            p += 1;
            v += 1;
        } else if p < pattern.len() && pattern[p] == '*' {
            star = Some((p, v));
            p += 1;
        } else if let Some((star_p, star_v)) = star {
            p = star_p + 1;
            v = star_v + 1;
            star = Some((star_p, star_v + 1));
        } else {
            return false;
        }
    }
    pattern[p..].iter().all(|&c| c == '*')
}

#[cfg(test)]
mod tests;
