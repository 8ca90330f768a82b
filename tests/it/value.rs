//! The public value API that resources use, from outside: `Value` equality and accessors, JSON
//! raw state as Terraform stores it ([`json::decode`]), and typed state structs through the
//! serde bridge ([`from_value`], [`to_value`]). Exact msgpack bytes are pinned by the unit tests
//! in `src/value`.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fmt;

use serde::{de, Deserialize, Serialize};
use terraform_provider_mongodbatlas::value::{
    from_value, json, msgpack, to_value, AttributePath, Error, Number, PathStep, Type, Value,
};
use Type::{Bool, Number as Num, String as Str};

fn s(text: &str) -> Value {
    Value::string(text)
}

fn n(int: i64) -> Value {
    Value::from(int)
}

/// A number from JSON number text.
fn num(text: &str) -> Value {
    Value::Number(Number::parse(text).unwrap_or_else(|_| panic!("{text:?} is not a number")))
}

fn list<const N: usize>(items: [Value; N]) -> Value {
    Value::List(items.into())
}

fn set<const N: usize>(items: [Value; N]) -> Value {
    Value::Set(items.into())
}

fn map<const N: usize>(entries: [(&str, Value); N]) -> Value {
    Value::Map(
        entries
            .into_iter()
            .map(|(key, value)| (key.to_owned(), value))
            .collect(),
    )
}

fn float(float: f64) -> Value {
    Value::Number(Number::from_f64(float).unwrap_or_else(|| panic!("{float} is NaN")))
}

fn strings(items: &[&str]) -> Vec<Value> {
    items.iter().map(|item| s(item)).collect()
}

#[test]
fn equality_is_multiset_for_sets_and_numeric_for_numbers() {
    let (null, unknown) = (Value::Null, Value::Unknown);
    let inner = |items: &[&str]| Value::Set(strings(items));
    let object = |name: &str, roles: &[&str]| Value::object([("name", s(name)), ("r", inner(roles))]);
    let empty = || BTreeMap::new();
    let cases = [
        (null.clone(), null.clone(), true),
        (unknown.clone(), unknown.clone(), true),
        (null.clone(), unknown.clone(), false),
        (set([s("a"), s("b")]), set([s("b"), s("a")]), true),
        (set([s("a"), s("a"), s("b")]), set([s("a"), s("b"), s("b")]), false),
        (list([s("a"), s("b")]), list([s("b"), s("a")]), false),
        (n(1), float(1.0), true),
        (n(1), Value::Number(Number::from(1u64)), true),
        (n(1), s("1"), false),
        (float(f64::INFINITY), float(f64::INFINITY), true),
        (float(f64::INFINITY), float(f64::NEG_INFINITY), false),
        (
            Value::object([("a", set([n(1), n(2)]))]),
            Value::object([("a", set([n(2), n(1)]))]),
            true,
        ),
        // Numbers in different forms are one element, whichever order they come in.
        (
            set([n(1), num("2.50"), float(0.1)]),
            set([num("0.1"), float(2.5), num("1.0")]),
            true,
        ),
        (set([num("1e2"), n(100), n(3)]), set([n(3), n(100), n(100)]), true),
        (set([num("1e2"), n(3), n(3)]), set([n(3), n(100), n(100)]), false),
        // Sets of sets and of objects, each in another order.
        (
            set([inner(&["a", "b"]), inner(&["c"]), null.clone(), unknown.clone()]),
            set([unknown, inner(&["c"]), null, inner(&["b", "a"])]),
            true,
        ),
        (
            set([inner(&["a", "b"]), inner(&["c"])]),
            set([inner(&["a", "c"]), inner(&["b"])]),
            false,
        ),
        (
            set([object("p", &["x", "y"]), object("q", &[])]),
            set([object("q", &[]), object("p", &["y", "x"])]),
            true,
        ),
        // Kinds never mix: a map is not an object.
        (
            set([Value::Map(empty()), Value::Object(empty())]),
            set([Value::Object(empty()), Value::Map(empty())]),
            true,
        ),
        (Value::Map(empty()), Value::Object(empty()), false),
    ];
    for (a, b, equal) in cases {
        assert_eq!(a == b, equal, "{a:?} == {b:?}");
        assert_eq!(b == a, equal, "{b:?} == {a:?}");
    }
}

#[test]
fn large_sets_compare_in_any_order() {
    let forward: Vec<Value> = (0..100_000).map(|i| s(&format!("ROLE_{i}"))).collect();
    let mut backward = forward.clone();
    backward.reverse();
    assert_eq!(Value::Set(forward.clone()), Value::Set(backward.clone()));
    backward[0] = s("ROLE_other");
    assert_ne!(Value::Set(forward.clone()), Value::Set(backward));
    let mut duplicated = forward.clone();
    duplicated[1] = duplicated[0].clone();
    assert_ne!(Value::Set(forward), Value::Set(duplicated));
}

#[test]
fn accessors_walk_objects_lists_and_maps() {
    let roles = Value::object([("role_names", set([s("GROUP_READ_ONLY")]))]);
    let mut value = Value::object([
        ("name", s("k")),
        ("project_assignment", list([roles])),
        ("tags", map([("env", s("dev"))])),
        ("later", Value::Unknown),
    ]);
    let assignment = || AttributePath::attr("project_assignment");
    let roles = assignment().then_index(0).then_attr("role_names");
    assert_eq!(value.get("name").as_str(), Some("k"));
    assert!(value.get("missing").is_null() && s("x").get("name").is_null());
    assert_eq!(value.at(&roles).as_elements().map(<[Value]>::len), Some(1));
    assert!(value.at(&assignment().then_index(1)).is_null());
    assert_eq!(
        value.at(&AttributePath::attr("tags").then_key("env")).as_str(),
        Some("dev")
    );
    assert!(value.at(&roles.clone().then_index(0)).is_null());
    assert!(value.is_known() && !value.is_wholly_known());
    assert!(value.null_unknowns().is_wholly_known() && value.null_unknowns().get("later").is_null());
    if let Some(name) = value.get_mut("name") {
        *name = s("renamed");
    }
    assert_eq!(value.get("name").as_str(), Some("renamed"));
    assert!(value.get_mut("missing").is_none());
}

fn check_json_error(name: &str, ty: &Type, input: &[u8], path: &str, message: &str) {
    match json::decode(input, ty) {
        Ok(value) => panic!("{name}: decoded to {value:?}, expected an error"),
        Err(err) => {
            assert_eq!(err.path.to_string(), path, "{name}: path of {err}");
            assert!(
                err.to_string().contains(message),
                "{name}: {err} should mention {message:?}"
            );
        }
    }
}

fn raw_state_type() -> Type {
    Type::object([
        ("id", Str),
        ("name", Str),
        ("private_key", Str),
        ("role_names", Type::set(Str)),
    ])
}

#[test]
fn json_vectors_decode_leniently() {
    let state = |name: Value, private_key: Value, roles: Value| {
        Value::object([
            ("id", s("1")),
            ("name", name),
            ("private_key", private_key),
            ("role_names", roles),
        ])
    };
    let vectors = [
        ("null", Str, "null", Value::Null),
        ("string", Str, "\"hi\"", s("hi")),
        ("escapes", Str, r#""a\"b\\c\nd\u0001é/""#, s("a\"b\\c\nd\u{1}é/")),
        ("unicode escapes", Str, r#""\u00e9\ud83d\ude00\/""#, s("é😀/")),
        ("string from number", Str, "12.50", s("12.50")),
        ("string from bool", Str, "true", s("true")),
        ("bool", Bool, "false", Value::Bool(false)),
        ("bool from string", Bool, "\"true\"", Value::Bool(true)),
        ("int", Num, "42", n(42)),
        ("negative", Num, "-7", n(-7)),
        ("float", Num, "1.5", num("1.5")),
        ("exponent", Num, "1e300", num("1e300")),
        (
            "big int",
            Num,
            "123456789012345678901234567890",
            num("123456789012345678901234567890"),
        ),
        (
            "precise decimal",
            Num,
            "0.1000000000000000000001",
            num("0.1000000000000000000001"),
        ),
        ("number from string", Num, "\"12\"", n(12)),
        ("list", Type::list(Str), "[\"a\",null]", list([s("a"), Value::Null])),
        ("set", Type::set(Num), "[2,1]", set([n(1), n(2)])),
        (
            "map",
            Type::map(Bool),
            "{\"a\":true,\"b\":null}",
            map([("a", Value::Bool(true)), ("b", Value::Null)]),
        ),
        (
            "object",
            raw_state_type(),
            "{\"id\":\"1\",\"name\":null,\"private_key\":\"s\",\"role_names\":[\"R\"]}",
            state(Value::Null, s("s"), set([s("R")])),
        ),
        (
            "raw state with a removed attribute and a new one",
            raw_state_type(),
            "{\"id\":\"1\",\"removed_attr\":{\"x\":[1]},\"name\":\"k\",\"role_names\":[]}",
            state(s("k"), Value::Null, set([])),
        ),
        (
            "whitespace",
            Type::map(Type::list(Num)),
            " \n{ \"a\" :\t[ 1 , 2 ]\r\n} ",
            map([("a", list([n(1), n(2)]))]),
        ),
    ];
    for (name, ty, text, expected) in &vectors {
        assert_eq!(json::decode(text.as_bytes(), ty).as_ref(), Ok(expected), "{name}");
    }
}

#[test]
fn json_decode_errors_carry_paths() {
    let roles = Type::object([("role_names", Type::list(Str))]);
    let cases: [(&str, Type, &[u8], &str, &str); 6] = [
        (
            "wrong element",
            roles,
            br#"{"role_names":["a",{}]}"#,
            "role_names[1]",
            "expected string, found object",
        ),
        (
            "wrong set element",
            raw_state_type(),
            br#"{"role_names":["a",[]]}"#,
            "role_names",
            "expected string, found array",
        ),
        (
            "map value",
            Type::map(Bool),
            br#"{"k":1}"#,
            "[\"k\"]",
            "expected bool, found number",
        ),
        ("bad number string", Num, br#""abc""#, "", "invalid decimal number"),
        (
            "exponent beyond i64",
            Num,
            b"1e99999999999999999999",
            "",
            "invalid decimal number",
        ),
        ("trailing", Num, b"1 2", "", "trailing characters"),
    ];
    for (name, ty, input, path, message) in &cases {
        check_json_error(name, ty, input, path, message);
    }
}

#[test]
fn malformed_json_is_an_error_at_the_root() {
    let roles = Type::object([("role_names", Type::list(Str))]);
    let cases: [&[u8]; 20] = [
        br#"{"role_names":"#, // truncated
        b"",
        b"  ",
        b"nul",
        b"01",
        b"-",
        b"1.",
        b"1e+",
        b"+1",
        br#""\x""#,     // bad escape
        br#""\u12""#,   // short unicode escape
        br#""\ud800""#, // lone high surrogate
        br#""\udc00""#, // lone low surrogate
        b"\"a\x01\"",   // control character
        b"\"abc",       // unterminated string
        br#"{"a" 1}"#,  // missing colon
        b"[1,]",        // trailing comma
        b"{a:1}",       // unquoted key
        b"\"\xff\"",    // invalid UTF-8
        b"\"\\",        // escape at end
    ];
    for input in cases {
        check_json_error(&String::from_utf8_lossy(input), &roles, input, "", "malformed JSON");
    }
}

#[test]
fn deep_json_is_an_error_not_a_stack_overflow() {
    check_json_error(
        "deep arrays",
        &Str,
        "[".repeat(100_000).as_bytes(),
        "",
        "recursion limit",
    );
    check_json_error(
        "deep objects",
        &Str,
        "{\"a\":".repeat(100_000).as_bytes(),
        "",
        "recursion limit",
    );
    let ok_type = (0..100).fold(Num, |ty, _| Type::list(ty));
    let ok = format!("{}1{}", "[".repeat(100), "]".repeat(100));
    assert!(json::decode(ok.as_bytes(), &ok_type).is_ok());
}

/// A redacting newtype, as resources use for private keys.
#[derive(Serialize, Deserialize, PartialEq)]
struct Secret(String);

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

#[derive(Serialize, Deserialize, Debug, PartialEq)]
struct Assignment {
    project_id: String,
    role_names: BTreeSet<String>,
}

#[derive(Serialize, Deserialize, Debug, PartialEq)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
enum Status {
    Active,
    Disabled,
}

#[derive(Serialize, Deserialize, Debug, PartialEq)]
struct State {
    org_id: String,
    description: Option<String>,
    role_names: BTreeSet<String>,
    project_assignment: Vec<Assignment>,
    private_key: Option<Secret>,
    count: Option<i64>,
    enabled: bool,
    status: Status,
}

fn state_type() -> Type {
    let assignment = Type::object([("project_id", Str), ("role_names", Type::set(Str))]);
    Type::object([
        ("org_id", Str),
        ("description", Str),
        ("role_names", Type::set(Str)),
        ("project_assignment", Type::list(assignment)),
        ("private_key", Str),
        ("count", Type::Number),
        ("enabled", Bool),
        ("status", Str),
        // Not in the struct: written as null, ignored when read.
        ("computed_only", Str),
    ])
}

fn sample() -> State {
    let strings = |items: &[&str]| items.iter().map(|item| item.to_string()).collect();
    State {
        org_id: "o1".into(),
        description: None,
        role_names: strings(&["ORG_OWNER", "ORG_MEMBER"]),
        project_assignment: vec![Assignment {
            project_id: "p1".into(),
            role_names: strings(&["GROUP_READ_ONLY"]),
        }],
        private_key: Some(Secret("s3cr3t-value".into())),
        count: Some(3),
        enabled: true,
        status: Status::Active,
    }
}

/// The sample as a value, with `replacement` at `path`.
fn sample_with(path: &AttributePath, replacement: Value) -> Value {
    let mut value = to_value(&sample(), &state_type()).unwrap_or_else(|err| panic!("to_value: {err}"));
    let mut target = Some(&mut value);
    for step in path.steps() {
        target = match (target, step) {
            (Some(Value::Object(attributes)), PathStep::Attribute(name)) => attributes.get_mut(name),
            (Some(Value::List(items)), PathStep::ElementKeyInt(index)) => {
                usize::try_from(*index).ok().and_then(|index| items.get_mut(index))
            }
            _ => None,
        };
    }
    *target.unwrap_or_else(|| panic!("no value at {path}")) = replacement;
    value
}

fn check_from<T>(value: &Value, expected: Result<T, &str>)
where
    T: de::DeserializeOwned + PartialEq + fmt::Debug,
{
    let result = from_value::<T>(value).map_err(|err| err.to_string());
    assert_eq!(result, expected.map_err(str::to_owned), "from {value:?}");
}

#[test]
fn struct_round_trips_through_a_typed_value() {
    let value = to_value(&sample(), &state_type()).unwrap_or_else(|err| panic!("to_value: {err}"));
    let assignment = Value::object([("project_id", s("p1")), ("role_names", set([s("GROUP_READ_ONLY")]))]);
    let expected = Value::object([
        ("org_id", s("o1")),
        ("description", Value::Null),
        ("role_names", set([s("ORG_OWNER"), s("ORG_MEMBER")])),
        ("project_assignment", list([assignment])),
        ("private_key", s("s3cr3t-value")),
        ("count", n(3)),
        ("enabled", Value::Bool(true)),
        ("status", s("ACTIVE")),
        ("computed_only", Value::Null),
    ]);
    assert_eq!(value, expected);
    check_from(&value, Ok(sample()));
    // And through the wire codecs, as the framework will use it.
    let bytes = msgpack::encode(&value, &state_type()).map_err(|err| err.to_string());
    let decoded = bytes.and_then(|b| msgpack::decode(&b, &state_type()).map_err(|e| e.to_string()));
    assert_eq!(decoded, Ok(value));
}

#[test]
fn null_and_unknown_read_as_none() {
    let value = sample_with(&AttributePath::attr("private_key"), Value::Unknown);
    let value = match value {
        Value::Object(mut attributes) => {
            attributes.insert("count".into(), Value::Null);
            Value::Object(attributes)
        }
        other => other,
    };
    let state = from_value::<State>(&value).map(|state| (state.private_key, state.count));
    assert_eq!(state, Ok((None, None)));
}

#[test]
fn errors_name_the_path_and_never_the_content() {
    let secret = || s("s3cr3t-value");
    let roles = AttributePath::attr("project_assignment").then_index(0);
    let cases = [
        ("org_id", Value::Null, "at org_id: value is null"),
        ("org_id", Value::Unknown, "at org_id: value is unknown"),
        ("count", secret(), "at count: invalid type: a string, expected i64"),
        (
            "enabled",
            secret(),
            "at enabled: invalid type: a string, expected a boolean",
        ),
        (
            "status",
            secret(),
            "at status: unknown variant, expected `ACTIVE` or `DISABLED`",
        ),
        (
            "role_names",
            s("x"),
            "at role_names: invalid type: a string, expected a sequence",
        ),
    ];
    let cases = cases.map(|(attr, replacement, message)| (AttributePath::attr(attr), replacement, message));
    let nested = [
        (
            roles.clone().then_attr("role_names"),
            set([Value::Bool(true)]),
            "at project_assignment[0].role_names: invalid type: a boolean, expected a string",
        ),
        (
            roles.then_attr("project_id"),
            Value::Null,
            "at project_assignment[0].project_id: value is null",
        ),
        (AttributePath::root(), Value::Null, "value is null"),
    ];
    for (path, replacement, expected) in cases.into_iter().chain(nested) {
        let err = from_value::<State>(&sample_with(&path, replacement)).map(|_| ());
        assert_eq!(err.map_err(|err| err.to_string()), Err(expected.to_owned()));
    }
}

#[test]
fn numbers_read_into_any_exact_rust_type() {
    let big = num("123456789012345678901234567890");
    let too_big = "invalid value: a number the field's type cannot hold";
    check_from::<i64>(&n(-5), Ok(-5));
    check_from::<u8>(&n(200), Ok(200));
    check_from::<u8>(&n(300), Err(too_big));
    check_from::<u64>(&num("18446744073709551615"), Ok(u64::MAX));
    check_from::<i64>(&num("3.0"), Ok(3));
    check_from::<i64>(&num("1e3"), Ok(1000));
    check_from::<f64>(&num("0.5"), Ok(0.5));
    check_from::<f64>(&n(2), Ok(2.0));
    check_from::<f64>(&big, Ok(1.2345678901234568e29));
    check_from::<i64>(&num("1.5"), Err(too_big));
    check_from::<serde_json::Value>(&big, Ok(serde_json::json!(1.2345678901234568e29)));
    check_from::<serde_json::Value>(&num("1e400"), Ok(serde_json::json!("1e+400")));
}

#[test]
fn other_shapes_read_naturally() {
    let pairs = |pairs: &[(&str, &str)]| pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
    check_from::<HashMap<String, String>>(
        &map([("a", s("x")), ("b", s("y"))]),
        Ok(pairs(&[("a", "x"), ("b", "y")])),
    );
    check_from::<(String, i64)>(&list([s("a"), n(1)]), Ok(("a".to_owned(), 1)));
    check_from::<(String,)>(
        &list([s("a"), n(1)]),
        Err("invalid length 2, expected fewer elements in array"),
    );
    check_from::<Vec<Option<String>>>(&list([Value::Null, s("a")]), Ok(vec![None, Some("a".to_owned())]));
    check_from::<()>(&Value::Null, Ok(()));
    let object = Value::object([("a", list([Value::Bool(true), Value::Null]))]);
    check_from::<serde_json::Value>(&object, Ok(serde_json::json!({"a": [true, null]})));
    check_from::<serde_json::Value>(&Value::Unknown, Err("value is unknown"));
}

#[test]
fn to_value_follows_the_type() {
    let tags: HashMap<String, String> = [("env".to_owned(), "dev".to_owned())].into();
    assert_eq!(to_value(&tags, &Type::map(Str)), Ok(map([("env", s("dev"))])));
    assert_eq!(to_value(&vec!["b", "a"], &Type::set(Str)), Ok(set([s("a"), s("b")])));
    assert_eq!(to_value(&Secret("k".into()), &Str), Ok(s("k")));
    assert_eq!(to_value(&None::<String>, &Str), Ok(Value::Null));
    assert_eq!(to_value(&u128::MAX, &Type::Number), Ok(num(&u128::MAX.to_string())));
    assert_eq!(to_value(&0.1f32, &Type::Number), Ok(num("0.1")));
}

#[test]
fn to_value_errors_carry_paths() {
    let error = |result: Result<Value, Error>| result.map_err(|err| err.to_string());
    let narrow = Type::object([("org_id", Str)]);
    let extra_field = "field \"count\" is not an attribute of the object type";
    assert_eq!(error(to_value(&sample(), &narrow)), Err(extra_field.to_owned()));
    let mut ty = state_type();
    if let Type::Object(attributes) = &mut ty {
        attributes.insert("enabled".into(), Str);
        let assignment = Type::object([("project_id", Bool), ("role_names", Type::set(Str))]);
        attributes.insert("project_assignment".into(), Type::list(assignment));
    }
    assert_eq!(
        error(to_value(&sample(), &ty)),
        Err("at enabled: expected string, found bool".to_owned())
    );
    let bad_set = Type::object([("role_names", Type::set(Bool))]);
    let value = serde_json::json!({"role_names": ["x"]});
    assert_eq!(
        error(to_value(&value, &bad_set)),
        Err("at role_names: expected bool, found string".to_owned())
    );
    let keyed: BTreeMap<(u8, u8), String> = [((1, 2), "x".to_owned())].into();
    let keyed_type = Type::object([("tags", Type::map(Str))]);
    let keyed = to_value(&BTreeMap::from([("tags", keyed)]), &keyed_type);
    assert_eq!(error(keyed), Err("at tags: key must be a string".to_owned()));
}
