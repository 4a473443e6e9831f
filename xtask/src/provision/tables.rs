//! The template's tables on DynamoDB Local: created as declared, or brought up to the
//! declaration when a persisted local shop made them with an earlier version.

use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::types::{
    AttributeDefinition, BillingMode, GlobalSecondaryIndex, KeySchemaElement, KeyType, Projection,
    ProjectionType, ScalarAttributeType, StreamViewType, TimeToLiveSpecification,
};

use crate::Result;
use crate::template::{KeyElement, Table};

/// Brings the existing table `name` (a persisted local shop's, made by an earlier version) up
/// to its declaration: turns on `stream` if it has none, and adds each of `indexes` it lacks,
/// as a deploy would.
async fn catch_up(
    client: &Client,
    name: &str,
    stream: Option<aws_sdk_dynamodb::types::StreamSpecification>,
    attributes: Vec<AttributeDefinition>,
    indexes: Vec<GlobalSecondaryIndex>,
) -> Result<()> {
    let failed = |what: &str, err: &dyn std::fmt::Display| format!("{what} {name}: {err}");
    let table = client
        .describe_table()
        .table_name(name)
        .send()
        .await
        .map_err(|err| {
            failed(
                "describing",
                &aws_sdk_dynamodb::error::DisplayErrorContext(err),
            )
        })?
        .table
        .ok_or_else(|| format!("describing {name}: no table"))?;
    let streaming = table
        .stream_specification
        .as_ref()
        .is_some_and(|stream| stream.stream_enabled);
    if let Some(stream) = stream.filter(|_| !streaming) {
        client
            .update_table()
            .table_name(name)
            .stream_specification(stream)
            .send()
            .await
            .map_err(|err| {
                failed(
                    "adding a stream to",
                    &aws_sdk_dynamodb::error::DisplayErrorContext(err),
                )
            })?;
    }
    let present: Vec<String> = table
        .global_secondary_indexes
        .unwrap_or_default()
        .into_iter()
        .filter_map(|index| index.index_name)
        .collect();
    for index in indexes
        .into_iter()
        .filter(|index| !present.contains(&index.index_name))
    {
        let create = aws_sdk_dynamodb::types::CreateGlobalSecondaryIndexAction::builder()
            .index_name(index.index_name)
            .set_key_schema(Some(index.key_schema))
            .set_projection(index.projection)
            .build()?;
        client
            .update_table()
            .table_name(name)
            .set_attribute_definitions(Some(attributes.clone()))
            .global_secondary_index_updates(
                aws_sdk_dynamodb::types::GlobalSecondaryIndexUpdate::builder()
                    .create(create)
                    .build(),
            )
            .send()
            .await
            .map_err(|err| {
                failed(
                    "adding an index to",
                    &aws_sdk_dynamodb::error::DisplayErrorContext(err),
                )
            })?;
    }
    Ok(())
}

/// Creates `table` under the name `name`, with its keys, indexes and TTL. A table that already
/// exists is left as it is, so provisioning can run at every start.
pub async fn create_table(client: &Client, table: &Table, name: &str) -> Result<()> {
    let definition = &table.definition;
    let attributes = definition
        .attribute_definitions
        .iter()
        .map(|attribute| {
            AttributeDefinition::builder()
                .attribute_name(&attribute.attribute_name)
                .attribute_type(ScalarAttributeType::from(attribute.attribute_type.as_str()))
                .build()
        })
        .collect::<std::result::Result<Vec<_>, _>>()?;
    let indexes = definition
        .global_secondary_indexes
        .iter()
        .map(|index| {
            let projection = Projection::builder()
                .projection_type(ProjectionType::from(
                    index.projection.projection_type.as_str(),
                ))
                .set_non_key_attributes(
                    (!index.projection.non_key_attributes.is_empty())
                        .then(|| index.projection.non_key_attributes.clone()),
                )
                .build();
            GlobalSecondaryIndex::builder()
                .index_name(&index.index_name)
                .set_key_schema(Some(key_schema(&index.key_schema)?))
                .projection(projection)
                .build()
                .map_err(Into::into)
        })
        .collect::<Result<Vec<_>>>()?;

    let stream = definition
        .stream_specification
        .as_ref()
        .map(|stream| {
            aws_sdk_dynamodb::types::StreamSpecification::builder()
                .stream_enabled(true)
                .stream_view_type(StreamViewType::from(stream.stream_view_type.as_str()))
                .build()
        })
        .transpose()?;
    let created = client
        .create_table()
        .table_name(name)
        .billing_mode(BillingMode::PayPerRequest)
        .set_attribute_definitions(Some(attributes.clone()))
        .set_key_schema(Some(key_schema(&definition.key_schema)?))
        .set_global_secondary_indexes((!indexes.is_empty()).then(|| indexes.clone()))
        .set_stream_specification(stream.clone())
        .send()
        .await;
    match created {
        Ok(_) => {}
        Err(err)
            if err
                .as_service_error()
                .is_some_and(|e| e.is_resource_in_use_exception()) =>
        {
            // A table kept from before its stream or an index was declared (a persisted local
            // shop) gets them.
            return catch_up(client, name, stream, attributes, indexes).await;
        }
        Err(err) => {
            return Err(format!(
                "creating table {name}: {}",
                aws_sdk_dynamodb::error::DisplayErrorContext(err)
            )
            .into());
        }
    }

    if let Some(ttl) = definition
        .time_to_live_specification
        .as_ref()
        .filter(|t| t.enabled)
    {
        client
            .update_time_to_live()
            .table_name(name)
            .time_to_live_specification(
                TimeToLiveSpecification::builder()
                    .attribute_name(&ttl.attribute_name)
                    .enabled(true)
                    .build()?,
            )
            .send()
            .await
            .map_err(|err| {
                format!(
                    "enabling TTL on {name}: {}",
                    aws_sdk_dynamodb::error::DisplayErrorContext(err)
                )
            })?;
    }
    Ok(())
}

fn key_schema(elements: &[KeyElement]) -> Result<Vec<KeySchemaElement>> {
    elements
        .iter()
        .map(|element| {
            KeySchemaElement::builder()
                .attribute_name(&element.attribute_name)
                .key_type(KeyType::from(element.key_type.as_str()))
                .build()
                .map_err(Into::into)
        })
        .collect()
}
