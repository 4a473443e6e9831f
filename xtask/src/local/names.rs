//! What the template's references mean locally: the names and ARNs of the tables, queues,
//! buckets, secrets and functions a local stack created, the values of its parameters, and the
//! pseudo parameters (`AWS::Region`, `AWS::AccountId`, ...).
//!
//! Every environment variable a function gets, and every ARN in its policy, is resolved from the
//! template through this map; a reference it cannot resolve is an error, so the local shop cannot
//! quietly drift from the template.
//!
//! Local resources get the ARNs they would have on AWS: the same partition, region and naming, in
//! moto's default account ([`ACCOUNT`]), so a policy's `Resource` matches locally exactly what it
//! would match on AWS.

use std::collections::BTreeMap;

use serde_json::Value;

use crate::Result;
use crate::template::Function;

/// The account the local stack lives in: moto's default, which its queue URLs and secret ARNs
/// carry too.
pub const ACCOUNT: &str = "123456789012";

/// Local values by logical id.
#[derive(Debug, Clone, Default)]
pub struct LocalNames {
    /// `!Ref` of a resource or parameter: table names, queue URLs, bucket names, function names,
    /// secret ARNs, parameter values; and the pseudo parameters.
    pub refs: BTreeMap<String, String>,
    /// `!GetAtt <id>.Arn`.
    pub arns: BTreeMap<String, String>,
    /// `!GetAtt <id>.DomainName` of a CloudFront distribution: the local shop's address, which
    /// serves what the distribution serves on AWS.
    pub domains: BTreeMap<String, String>,
}

impl LocalNames {
    /// Names with the pseudo parameters of a stack called `stack` in `region`.
    pub fn new(stack: &str, region: &str) -> Self {
        let refs = BTreeMap::from([
            ("AWS::AccountId".to_owned(), ACCOUNT.to_owned()),
            ("AWS::Partition".to_owned(), "aws".to_owned()),
            ("AWS::Region".to_owned(), region.to_owned()),
            ("AWS::StackName".to_owned(), stack.to_owned()),
            (
                "AWS::StackId".to_owned(),
                format!(
                    "arn:aws:cloudformation:{region}:{ACCOUNT}:stack/{stack}/{}",
                    uuid::Uuid::new_v4().hyphenated()
                ),
            ),
            ("AWS::URLSuffix".to_owned(), "amazonaws.com".to_owned()),
        ]);
        Self {
            refs,
            arns: BTreeMap::new(),
            domains: BTreeMap::new(),
        }
    }

    pub fn region(&self) -> &str {
        self.refs.get("AWS::Region").map_or("", String::as_str)
    }

    fn arn(&self, service: &str, resource: &str) -> String {
        format!("arn:aws:{service}:{}:{ACCOUNT}:{resource}", self.region())
    }

    /// A table `name`, for the template's `logical_id`.
    pub fn add_table(&mut self, logical_id: &str, name: &str) {
        let arn = self.arn("dynamodb", &format!("table/{name}"));
        self.add(logical_id, name, arn);
    }

    /// A queue at `url`; its name is the URL's last segment.
    pub fn add_queue(&mut self, logical_id: &str, url: &str) {
        let arn = self.arn("sqs", queue_name(url));
        self.add(logical_id, url, arn);
    }

    pub fn add_bucket(&mut self, logical_id: &str, name: &str) {
        self.add(logical_id, name, format!("arn:aws:s3:::{name}"));
    }

    /// A function, known locally by `name`.
    pub fn add_function(&mut self, logical_id: &str, name: &str) {
        let arn = self.function_arn(name);
        self.add(logical_id, name, arn);
    }

    /// A secret, whose `!Ref` is its ARN.
    pub fn add_secret(&mut self, logical_id: &str, arn: &str) {
        self.add(logical_id, arn, arn.to_owned());
    }

    /// A distribution, served here at `domain` (`host:port`).
    pub fn add_distribution(&mut self, logical_id: &str, domain: &str) {
        self.domains
            .insert(logical_id.to_owned(), domain.to_owned());
    }

    /// A distribution's id, its `!Ref`.
    pub fn add_distribution_id(&mut self, logical_id: &str, id: &str) {
        self.refs.insert(logical_id.to_owned(), id.to_owned());
    }

    /// A parameter's value.
    pub fn add_parameter(&mut self, name: &str, value: &str) {
        self.refs.insert(name.to_owned(), value.to_owned());
    }

    fn add(&mut self, logical_id: &str, reference: &str, arn: String) {
        self.refs
            .insert(logical_id.to_owned(), reference.to_owned());
        self.arns.insert(logical_id.to_owned(), arn);
    }

    /// The ARN of the function called `name` here.
    pub fn function_arn(&self, name: &str) -> String {
        self.arn("lambda", &format!("function:{name}"))
    }

    /// The local name of the function `logical_id`.
    pub fn function_name(&self, logical_id: &str) -> Option<&str> {
        self.refs.get(logical_id).map(String::as_str)
    }

    /// The environment the function runs with, every value resolved.
    pub fn environment(&self, function: &Function) -> Result<Vec<(String, String)>> {
        function
            .environment
            .iter()
            .map(|(name, value)| {
                let resolved = self.resolve(value).map_err(|err| {
                    format!(
                        "{}: cannot resolve {name} = {value} locally: {err}",
                        function.logical_id
                    )
                })?;
                Ok((name.clone(), resolved))
            })
            .collect()
    }

    /// `value` with every intrinsic function (`Ref`, `Fn::GetAtt`, `Fn::Sub`, `Fn::Join`,
    /// `Fn::Select` of a list or of an `Fn::Split`) resolved, as a string.
    pub fn resolve(&self, value: &Value) -> Result<String> {
        match value {
            Value::String(text) => {
                if text.contains("{{resolve:") {
                    return Err(format!(
                        "{text} is a dynamic reference: CloudFormation would write the secret \
                         into the function's configuration, where anyone who may read it sees it"
                    )
                    .into());
                }
                Ok(text.clone())
            }
            Value::Number(number) => Ok(number.to_string()),
            Value::Bool(flag) => Ok(flag.to_string()),
            Value::Object(map) if map.len() == 1 => {
                let (function, argument) = map.iter().next().ok_or("empty intrinsic")?;
                match function.as_str() {
                    "Ref" => self.reference(argument.as_str().ok_or("Ref needs a name")?),
                    "Fn::GetAtt" => {
                        let resource = argument[0].as_str().ok_or("GetAtt needs a resource")?;
                        let attribute = argument[1].as_str().ok_or("GetAtt needs an attribute")?;
                        self.attribute(resource, attribute)
                    }
                    "Fn::Sub" => match argument {
                        Value::String(text) => self.substitute(text, &BTreeMap::new()),
                        Value::Array(parts) => {
                            let text = parts[0].as_str().ok_or("Sub needs a string")?;
                            let mut variables = BTreeMap::new();
                            for (name, value) in parts[1].as_object().into_iter().flatten() {
                                variables.insert(name.clone(), self.resolve(value)?);
                            }
                            self.substitute(text, &variables)
                        }
                        _ => Err("Sub needs a string".into()),
                    },
                    "Fn::Join" => {
                        let delimiter = argument[0].as_str().ok_or("Join needs a delimiter")?;
                        let parts = argument[1]
                            .as_array()
                            .ok_or("Join needs a list")?
                            .iter()
                            .map(|part| self.resolve(part))
                            .collect::<Result<Vec<_>>>()?;
                        Ok(parts.join(delimiter))
                    }
                    "Fn::Select" => {
                        let index = argument[0]
                            .as_u64()
                            .or_else(|| argument[0].as_str().and_then(|text| text.parse().ok()))
                            .and_then(|index| usize::try_from(index).ok())
                            .ok_or("Select needs an index")?;
                        let list = self.list(&argument[1])?;
                        list.get(index).cloned().ok_or_else(|| {
                            format!("Select {index} of a list of {}", list.len()).into()
                        })
                    }
                    other => Err(format!("{other} is not resolved locally").into()),
                }
            }
            other => Err(format!("{other} is not a string or an intrinsic function").into()),
        }
    }

    /// A list for `Fn::Select`: written out, or an `Fn::Split`.
    fn list(&self, value: &Value) -> Result<Vec<String>> {
        match value {
            Value::Array(items) => items.iter().map(|item| self.resolve(item)).collect(),
            Value::Object(map) if map.len() == 1 && map.contains_key("Fn::Split") => {
                let split = &map["Fn::Split"];
                let delimiter = split[0].as_str().ok_or("Split needs a delimiter")?;
                let source = self.resolve(&split[1])?;
                Ok(source.split(delimiter).map(str::to_owned).collect())
            }
            other => Err(format!("{other} is not a list").into()),
        }
    }

    fn reference(&self, name: &str) -> Result<String> {
        self.refs
            .get(name)
            .cloned()
            .ok_or_else(|| format!("nothing called {name} exists locally").into())
    }

    fn attribute(&self, resource: &str, attribute: &str) -> Result<String> {
        match attribute {
            "Arn" => self.arns.get(resource).cloned(),
            "QueueName" => self
                .refs
                .get(resource)
                .map(|url| queue_name(url).to_owned()),
            "DomainName" => self.domains.get(resource).cloned(),
            _ => None,
        }
        .ok_or_else(|| format!("{resource}.{attribute} is not known locally").into())
    }

    /// `Fn::Sub`: `${Name}` is a Ref (or one of `variables`), `${Name.Attribute}` a GetAtt,
    /// `${!Literal}` the text `${Literal}`.
    fn substitute(&self, text: &str, variables: &BTreeMap<String, String>) -> Result<String> {
        let mut out = String::with_capacity(text.len());
        let mut rest = text;
        while let Some(start) = rest.find("${") {
            out.push_str(&rest[..start]);
            let after = &rest[start + 2..];
            let end = after
                .find('}')
                .ok_or_else(|| format!("unclosed ${{ in {text}"))?;
            let name = &after[..end];
            if let Some(literal) = name.strip_prefix('!') {
                out.push_str(&format!("${{{literal}}}"));
            } else if let Some(value) = variables.get(name) {
                out.push_str(value);
            } else if let Some((resource, attribute)) = name.split_once('.') {
                out.push_str(&self.attribute(resource, attribute)?);
            } else {
                out.push_str(&self.reference(name)?);
            }
            rest = &after[end + 1..];
        }
        out.push_str(rest);
        Ok(out)
    }
}

/// A queue's name, from its URL.
pub fn queue_name(url: &str) -> &str {
    url.rsplit('/').next().unwrap_or(url)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn names() -> LocalNames {
        let mut names = LocalNames::new("shop", "eu-west-1");
        names.add_table("UsersTable", "shop-UsersTable");
        names.add_queue(
            "CheckoutQueue",
            "http://127.0.0.1:5000/123456789012/shop-CheckoutQueue.fifo",
        );
        names.add_bucket("ReceiptsBucket", "shop-receiptsbucket");
        names.add_function("ProductGetFunction", "product-get");
        names.add_secret(
            "TokenSecret",
            "arn:aws:secretsmanager:eu-west-1:123456789012:secret:shop-TokenSecret-AbCdEf",
        );
        names.add_parameter("SenderEmail", "receipts@shop.example");
        names
    }

    #[test]
    fn references_resolve_to_aws_shaped_names_and_arns() {
        let names = names();
        let resolve = |value: Value| names.resolve(&value).unwrap();
        assert_eq!(resolve(json!({"Ref": "UsersTable"})), "shop-UsersTable");
        assert_eq!(
            resolve(json!({"Fn::GetAtt": ["UsersTable", "Arn"]})),
            "arn:aws:dynamodb:eu-west-1:123456789012:table/shop-UsersTable"
        );
        assert_eq!(
            resolve(json!({"Fn::Sub": "${UsersTable.Arn}/index/ByKind"})),
            "arn:aws:dynamodb:eu-west-1:123456789012:table/shop-UsersTable/index/ByKind"
        );
        assert_eq!(
            resolve(json!({"Fn::GetAtt": ["CheckoutQueue", "Arn"]})),
            "arn:aws:sqs:eu-west-1:123456789012:shop-CheckoutQueue.fifo"
        );
        assert_eq!(
            resolve(json!({"Fn::GetAtt": ["CheckoutQueue", "QueueName"]})),
            "shop-CheckoutQueue.fifo"
        );
        assert_eq!(
            resolve(json!({"Fn::Sub": "${ReceiptsBucket.Arn}/receipts/*"})),
            "arn:aws:s3:::shop-receiptsbucket/receipts/*"
        );
        assert_eq!(
            resolve(json!({"Fn::GetAtt": ["ProductGetFunction", "Arn"]})),
            "arn:aws:lambda:eu-west-1:123456789012:function:product-get"
        );
        assert_eq!(
            resolve(
                json!({"Fn::Sub": "arn:${AWS::Partition}:ses:${AWS::Region}:${AWS::AccountId}:identity/*"})
            ),
            "arn:aws:ses:eu-west-1:123456789012:identity/*"
        );
        assert_eq!(
            resolve(json!({"Fn::Sub": ["${Who}-${!Literal}", {"Who": {"Ref": "SenderEmail"}}]})),
            "receipts@shop.example-${Literal}"
        );
        assert_eq!(
            resolve(json!({"Fn::Join": [":", ["a", {"Ref": "AWS::Region"}]]})),
            "a:eu-west-1"
        );
        assert!(resolve(json!({"Ref": "TokenSecret"})).starts_with("arn:aws:secretsmanager:"));
        let stack_uuid =
            resolve(json!({"Fn::Select": [2, {"Fn::Split": ["/", {"Ref": "AWS::StackId"}]}]}));
        assert!(uuid::Uuid::parse_str(&stack_uuid).is_ok(), "{stack_uuid}");
        assert_eq!(resolve(json!({"Fn::Select": ["1", ["a", "b"]]})), "b");
    }

    #[test]
    fn what_cannot_be_resolved_is_an_error() {
        let names = names();
        for value in [
            json!({"Ref": "Nowhere"}),
            json!({"Fn::GetAtt": ["UsersTable", "StreamArn"]}),
            json!({"Fn::Sub": "${Nowhere.Arn}"}),
            json!({"Fn::If": ["C", "a", "b"]}),
            json!("{{resolve:secretsmanager:arn:SecretString}}"),
        ] {
            assert!(names.resolve(&value).is_err(), "{value}");
        }
    }

    #[test]
    fn a_function_environment_resolves_or_names_what_failed() {
        let names = names();
        let mut function = Function {
            logical_id: "F".into(),
            binary: "f".into(),
            memory_size: None,
            timeout: None,
            environment: BTreeMap::from([
                ("TABLE".to_owned(), json!({"Ref": "UsersTable"})),
                ("PLAIN".to_owned(), json!("x")),
            ]),
            routes: Vec::new(),
            queue_triggers: Vec::new(),
            stream_triggers: Vec::new(),
            policies: Value::Null,
            reserved_concurrency: Value::Null,
            role: Value::Null,
            log_group: Value::Null,
        };
        assert_eq!(
            names.environment(&function).unwrap(),
            vec![
                ("PLAIN".to_owned(), "x".to_owned()),
                ("TABLE".to_owned(), "shop-UsersTable".to_owned()),
            ]
        );
        function
            .environment
            .insert("QUEUE".to_owned(), json!({"Ref": "Nowhere"}));
        let err = names.environment(&function).unwrap_err().to_string();
        assert!(err.contains("F: cannot resolve QUEUE"), "{err}");
    }
}
