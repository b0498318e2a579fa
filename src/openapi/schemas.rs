//! Makes the component schemas say exactly what travels, for generators to take at their word.
//!
//! A response field that the server always sends must be `required`, even when its value may be
//! `null`; the derive marks every `Option` field optional, which is right for a request (a client
//! may leave it out) and wrong for a response (a generated type would make every reader check
//! for a missing field that is never missing). So the rule is applied by where a schema is used:
//!
//! - a schema reachable only from response bodies gets every nullable property `required`
//!   ("always sent, `null` when there is nothing"). A property that is optional and not nullable
//!   stays optional: that is a field left out when it has no value (its Rust field says so with
//!   `#[schema(nullable = false)]` beside `skip_serializing_if`);
//! - a schema reachable only from requests is left as it is;
//! - a schema reachable from both, that the rule would change, is split: the requests use a copy
//!   named `…Input` (as the derive made it), the responses the tightened original. Schemas that
//!   lead to a split one are split with it, so neither side reaches the other's form.

use std::collections::{BTreeMap, BTreeSet};

use utoipa::openapi::path::Operation;
use utoipa::openapi::schema::{AdditionalProperties, ArrayItems, Schema, SchemaType, Type};
use utoipa::openapi::{Components, OpenApi, Ref, RefOr, Required};

const SCHEMA_PREFIX: &str = "#/components/schemas/";

/// Where component schemas are used: reachable from request parts, from responses, or both.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Reach {
    pub requests: BTreeSet<String>,
    pub responses: BTreeSet<String>,
}

/// Applies the rule above to `doc`.
pub fn make_exact(doc: &mut OpenApi) {
    let Some(components) = doc.components.as_mut() else {
        return;
    };
    let reach = reach(&mut doc.paths.paths, components);
    let split = to_split(components, &reach);

    // The request side: copies of the split schemas, and every request reference redirected.
    let input = |name: &str| format!("{name}Input");
    for name in &split {
        if let Some(schema) = components.schemas.get(name).cloned() {
            components.schemas.insert(input(name), schema);
        }
    }
    let redirect = |r: &mut Ref| {
        if let Some(name) = r.ref_location.strip_prefix(SCHEMA_PREFIX)
            && split.contains(name)
        {
            r.ref_location = format!("{SCHEMA_PREFIX}{}", input(name));
        }
    };
    for name in reach.requests.difference(&reach.responses) {
        if let Some(schema) = components.schemas.get_mut(name) {
            for_each_ref(schema, &mut |r| redirect(r));
        }
    }
    for name in &split {
        if let Some(schema) = components.schemas.get_mut(&input(name)) {
            for_each_ref(schema, &mut |r| redirect(r));
        }
    }
    for_each_operation(&mut doc.paths.paths, |op| {
        for slot in request_schemas(op) {
            for_each_ref(slot, &mut |r| redirect(r));
        }
    });

    // The response side: the tightened schemas.
    for name in reach.responses.difference(&reach.requests).chain(&split) {
        if let Some(schema) = components.schemas.get_mut(name) {
            tighten(schema);
        }
    }
    for_each_operation(&mut doc.paths.paths, |op| {
        for slot in response_schemas(&mut op.responses.responses) {
            tighten(slot);
        }
    });
}

/// The component schemas reachable from request parts (bodies, parameters) and from responses.
pub fn reach(
    paths: &mut BTreeMap<String, utoipa::openapi::PathItem>,
    components: &mut Components,
) -> Reach {
    let mut requests = BTreeSet::new();
    let mut responses = BTreeSet::new();
    for_each_operation(paths, |op| {
        for slot in request_schemas(op) {
            for_each_ref(slot, &mut |r| note(r, &mut requests));
        }
        for slot in response_schemas(&mut op.responses.responses) {
            for_each_ref(slot, &mut |r| note(r, &mut responses));
        }
    });
    for slot in response_schemas(&mut components.responses) {
        for_each_ref(slot, &mut |r| note(r, &mut responses));
    }
    Reach {
        requests: closure(components, requests),
        responses: closure(components, responses),
    }
}

/// The shared schemas to split: those the rule changes, and the shared ones leading to them.
fn to_split(components: &Components, reach: &Reach) -> BTreeSet<String> {
    let shared: BTreeSet<&String> = reach.requests.intersection(&reach.responses).collect();
    let mut split: BTreeSet<String> = shared
        .iter()
        .filter(|name| {
            components.schemas.get(name.as_str()).is_some_and(|s| {
                let mut tightened = s.clone();
                tighten(&mut tightened);
                tightened != *s
            })
        })
        .map(|name| (*name).clone())
        .collect();
    loop {
        let before = split.len();
        for name in &shared {
            if split.contains(name.as_str()) {
                continue;
            }
            if let Some(schema) = components.schemas.get(name.as_str()) {
                let mut schema = schema.clone();
                let mut leads = BTreeSet::new();
                for_each_ref(&mut schema, &mut |r| note(r, &mut leads));
                if !leads.is_disjoint(&split) {
                    split.insert((*name).clone());
                }
            }
        }
        if split.len() == before {
            return split;
        }
    }
}

fn note(r: &Ref, names: &mut BTreeSet<String>) {
    if let Some(name) = r.ref_location.strip_prefix(SCHEMA_PREFIX) {
        names.insert(name.to_owned());
    }
}

/// `seeds` and every component schema they lead to.
fn closure(components: &Components, seeds: BTreeSet<String>) -> BTreeSet<String> {
    let mut seen = BTreeSet::new();
    let mut todo: Vec<String> = seeds.into_iter().collect();
    while let Some(name) = todo.pop() {
        if !seen.insert(name.clone()) {
            continue;
        }
        if let Some(schema) = components.schemas.get(&name) {
            let mut schema = schema.clone();
            let mut next = BTreeSet::new();
            for_each_ref(&mut schema, &mut |r| note(r, &mut next));
            todo.extend(next.into_iter().filter(|n| !seen.contains(n)));
        }
    }
    seen
}

fn for_each_operation(
    paths: &mut BTreeMap<String, utoipa::openapi::PathItem>,
    mut f: impl FnMut(&mut Operation),
) {
    for item in paths.values_mut() {
        for op in [
            &mut item.get,
            &mut item.put,
            &mut item.post,
            &mut item.delete,
            &mut item.options,
            &mut item.head,
            &mut item.patch,
            &mut item.trace,
        ]
        .into_iter()
        .flatten()
        {
            f(op);
        }
    }
}

/// The schema slots of an operation's request: its body and its parameters.
fn request_schemas(op: &mut Operation) -> Vec<&mut RefOr<Schema>> {
    let mut slots = Vec::new();
    if let Some(RefOr::T(body)) = op.request_body.as_mut() {
        for content in body.content.values_mut() {
            if let RefOr::T(content) = content
                && let Some(schema) = content.schema.as_mut()
            {
                slots.push(schema);
            }
        }
    }
    for parameter in op.parameters.iter_mut().flatten() {
        if let RefOr::T(parameter) = parameter
            && let Some(schema) = parameter.schema.as_mut()
        {
            slots.push(schema);
        }
    }
    slots
}

/// The schema slots of responses (their bodies; headers are scalars).
fn response_schemas(
    responses: &mut BTreeMap<String, RefOr<utoipa::openapi::Response>>,
) -> Vec<&mut RefOr<Schema>> {
    let mut slots = Vec::new();
    for response in responses.values_mut() {
        if let RefOr::T(response) = response {
            for content in response.content.values_mut() {
                if let RefOr::T(content) = content
                    && let Some(schema) = content.schema.as_mut()
                {
                    slots.push(schema);
                }
            }
        }
    }
    slots
}

/// The schemas nested directly in `schema` (inline ones, and references).
fn children(schema: &mut Schema) -> Vec<&mut RefOr<Schema>> {
    match schema {
        Schema::Object(object) => {
            let mut children: Vec<_> = object.properties.values_mut().collect();
            if let Some(extra) = object.additional_properties.as_deref_mut()
                && let AdditionalProperties::RefOr(extra) = extra
            {
                children.push(extra);
            }
            children
        }
        Schema::Array(array) => match &mut array.items {
            ArrayItems::RefOrSchema(items) => vec![items.as_mut()],
            _ => Vec::new(),
        },
        Schema::OneOf(one_of) => one_of.items.iter_mut().collect(),
        Schema::AllOf(all_of) => all_of.items.iter_mut().collect(),
        Schema::AnyOf(any_of) => any_of.items.iter_mut().collect(),
        _ => Vec::new(),
    }
}

/// Calls `f` on every reference in `schema`, inline schemas included.
pub fn for_each_ref(schema: &mut RefOr<Schema>, f: &mut dyn FnMut(&mut Ref)) {
    match schema {
        RefOr::Ref(r) => f(r),
        RefOr::T(schema) => {
            for child in children(schema) {
                for_each_ref(child, f);
            }
        }
    }
}

/// Marks every nullable property of every object in `schema` (inline ones included) required.
pub fn tighten(schema: &mut RefOr<Schema>) {
    let RefOr::T(schema) = schema else {
        return;
    };
    if let Schema::Object(object) = schema {
        let missing: Vec<String> = object
            .properties
            .iter()
            .filter(|(name, property)| !object.required.contains(name) && is_nullable(property))
            .map(|(name, _)| name.clone())
            .collect();
        object.required.extend(missing);
    }
    for child in children(schema) {
        tighten(child);
    }
}

/// Whether `schema` admits `null`: `type: [T, "null"]`, or a `oneOf`/`anyOf` with a null branch.
fn is_nullable(schema: &RefOr<Schema>) -> bool {
    let is_null = |s: &RefOr<Schema>| matches!(s, RefOr::T(Schema::Object(o)) if o.schema_type == SchemaType::Type(Type::Null));
    match schema {
        RefOr::T(Schema::Object(object)) => match &object.schema_type {
            SchemaType::Type(t) => *t == Type::Null,
            SchemaType::Array(types) => types.contains(&Type::Null),
            _ => false,
        },
        RefOr::T(Schema::Array(array)) => match &array.schema_type {
            SchemaType::Array(types) => types.contains(&Type::Null),
            _ => false,
        },
        RefOr::T(Schema::OneOf(one_of)) => one_of.items.iter().any(is_null),
        RefOr::T(Schema::AnyOf(any_of)) => any_of.items.iter().any(is_null),
        _ => false,
    }
}

/// An optional request body whose schema is `T | null` becomes plain `T`: "no body" is said by
/// the body being optional, and `null` is not a body a client should think of sending.
pub fn unwrap_optional_bodies(doc: &mut OpenApi) {
    for_each_operation(&mut doc.paths.paths, |op| {
        let Some(RefOr::T(body)) = op.request_body.as_mut() else {
            return;
        };
        if matches!(body.required, Some(Required::True)) {
            return;
        }
        for content in body.content.values_mut() {
            if let RefOr::T(content) = content
                && let Some(RefOr::T(Schema::OneOf(one_of))) = content.schema.as_ref()
            {
                let not_null: Vec<_> = one_of
                    .items
                    .iter()
                    .filter(|s| !matches!(s, RefOr::T(Schema::Object(o)) if o.schema_type == SchemaType::Type(Type::Null)))
                    .cloned()
                    .collect();
                if let [only] = not_null.as_slice() {
                    content.schema = Some(only.clone());
                }
            }
        }
    });
}

#[cfg(test)]
#[allow(dead_code)]
mod tests {
    use serde_json::{Value, json};
    use utoipa::{OpenApi, ToSchema};

    #[derive(ToSchema)]
    struct Inner {
        note: Option<String>,
    }

    /// Has no nullable field itself: split only because it leads to `Inner`.
    #[derive(ToSchema)]
    struct Wrapper {
        inner: Inner,
    }

    #[derive(ToSchema)]
    struct Request {
        wrapper: Wrapper,
        comment: Option<String>,
    }

    #[derive(ToSchema)]
    struct Reply {
        wrapper: Wrapper,
        seen: Option<String>,
        #[schema(nullable = false)]
        absent: Option<String>,
    }

    #[utoipa::path(post, path = "/x", request_body = Request, responses((status = 200, body = Reply)))]
    fn x() {}

    #[derive(OpenApi)]
    #[openapi(paths(x))]
    struct Doc;

    fn exact() -> Value {
        let mut doc = Doc::openapi();
        super::make_exact(&mut doc);
        serde_json::to_value(doc).unwrap()
    }

    #[test]
    fn each_side_gets_its_own_form_of_a_shared_schema() {
        let doc = exact();
        let schemas = &doc["components"]["schemas"];
        assert_eq!(schemas["Reply"]["required"], json!(["wrapper", "seen"]));
        assert_eq!(schemas["Request"]["required"], json!(["wrapper"]));
        assert_eq!(schemas["Inner"]["required"], json!(["note"]));
        assert!(schemas["InnerInput"].get("required").is_none());
        // Wrapper leads to Inner, so it is split too, and each copy leads to its side's Inner.
        assert_eq!(
            schemas["WrapperInput"]["properties"]["inner"]["$ref"],
            "#/components/schemas/InnerInput"
        );
        assert_eq!(
            schemas["Wrapper"]["properties"]["inner"]["$ref"],
            "#/components/schemas/Inner"
        );
        assert_eq!(
            schemas["Request"]["properties"]["wrapper"]["$ref"],
            "#/components/schemas/WrapperInput"
        );
        assert_eq!(
            schemas["Reply"]["properties"]["wrapper"]["$ref"],
            "#/components/schemas/Wrapper"
        );
        assert!(schemas.get("RequestInput").is_none());
        assert!(schemas.get("ReplyInput").is_none());
    }

    #[test]
    fn making_exact_twice_changes_nothing_more() {
        let mut doc = Doc::openapi();
        super::make_exact(&mut doc);
        let once = serde_json::to_value(&doc).unwrap();
        super::make_exact(&mut doc);
        let twice = serde_json::to_value(&doc).unwrap();
        assert_eq!(once, twice);
    }
}
