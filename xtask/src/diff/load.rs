//! Reading the two sides of a diff: files, the working tree's `openapi/`, or a git revision's.
//! Every failure is a message naming the file and the problem (exit code 2).

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;

use serde_json::Value;

/// The directory holding the documents, relative to the workspace root.
pub const DIRECTORY: &str = "openapi";

/// One parsed and checked document.
#[derive(Debug, Clone)]
pub struct Document {
    /// How the report names it: a workspace-relative path or the path given by the user.
    pub name: String,
    /// The document as JSON, which the rules walk (`$ref`s unresolved).
    pub value: Value,
    /// The document as the generator reads it.
    pub api: openapiv3::OpenAPI,
}

/// Reads a document from a file given on the command line.
pub fn from_file(path: &Path) -> Result<Document, String> {
    let name = path.display().to_string();
    let bytes = std::fs::read(path).map_err(|e| format!("cannot read {name}: {e}"))?;
    parse(&name, &bytes)
}

/// Parses and checks a document: YAML or JSON, OpenAPI 3.0.x, readable by the generator's
/// parser, and every `$ref` pointing at something in the same document.
pub fn parse(name: &str, bytes: &[u8]) -> Result<Document, String> {
    let yaml: serde_yaml_ng::Value =
        serde_yaml_ng::from_slice(bytes).map_err(|e| format!("{name} is not YAML or JSON: {e}"))?;
    let value = to_json(yaml);
    if !value.is_object() {
        return Err(format!(
            "{name} is not an OpenAPI document: its top level is not a mapping"
        ));
    }
    match value.get("openapi").and_then(Value::as_str) {
        Some(version) if version.starts_with("3.0.") => {}
        Some(version) => {
            return Err(format!(
                "{name} declares OpenAPI {version}; only 3.0.x documents are supported (as by the generator)"
            ));
        }
        None => return Err(format!("{name} has no `openapi: 3.0.x` version field")),
    }
    let api: openapiv3::OpenAPI = serde_yaml_ng::from_slice(bytes)
        .map_err(|e| format!("{name} is not a valid OpenAPI 3.0 document: {e}"))?;
    check_references(name, &value)?;
    check_enum_names(name, &value)?;
    Ok(Document {
        name: name.to_string(),
        value,
        api,
    })
}

/// YAML allows keys JSON does not (`200:` unquoted is an integer); they become strings.
fn to_json(yaml: serde_yaml_ng::Value) -> Value {
    use serde_yaml_ng::Value as Y;
    match yaml {
        Y::Null => Value::Null,
        Y::Bool(b) => Value::Bool(b),
        Y::Number(n) => serde_json::to_value(&n).unwrap_or(Value::Null),
        Y::String(s) => Value::String(s),
        Y::Sequence(items) => Value::Array(items.into_iter().map(to_json).collect()),
        Y::Mapping(map) => Value::Object(
            map.into_iter()
                .map(|(key, value)| {
                    let key = match key {
                        Y::String(s) => s,
                        other => serde_yaml_ng::to_string(&other)
                            .unwrap_or_default()
                            .trim()
                            .to_string(),
                    };
                    (key, to_json(value))
                })
                .collect(),
        ),
        Y::Tagged(tagged) => to_json(tagged.value),
    }
}

/// Calls `visit` with each object in `here` and its JSON pointer (`at` holds the pointer of
/// `here`), depth first; the first error stops the walk.
fn each_object(
    here: &Value,
    at: &mut String,
    visit: &mut impl FnMut(&serde_json::Map<String, Value>, &str) -> Result<(), String>,
) -> Result<(), String> {
    let children: Vec<(String, &Value)> = match here {
        Value::Object(map) => {
            visit(map, at)?;
            map.iter()
                .map(|(key, value)| (escape(key), value))
                .collect()
        }
        Value::Array(items) => items
            .iter()
            .enumerate()
            .map(|(index, value)| (index.to_string(), value))
            .collect(),
        _ => Vec::new(),
    };
    for (segment, value) in children {
        let length = at.len();
        at.push('/');
        at.push_str(&segment);
        let walked = each_object(value, at, visit);
        at.truncate(length);
        walked?;
    }
    Ok(())
}

/// How many `$ref`s in a row are followed: references that point at each other stop here.
const MAX_REFERENCES: usize = 32;

/// Follows the local `$ref`s from `value` to what they finally point at: that value, and the
/// pointer of each reference passed through, in order (empty when `value` is no reference).
/// Every reference of a loaded document resolves ([`parse`] checks it); one that does not is
/// where the chain stops, for the caller to report.
pub fn follow_references<'v>(root: &'v Value, mut value: &'v Value) -> (&'v Value, Vec<&'v str>) {
    let mut through = Vec::new();
    for _ in 0..MAX_REFERENCES {
        let Some((target, pointer)) = value
            .get("$ref")
            .and_then(Value::as_str)
            .and_then(|reference| reference.strip_prefix('#'))
            .and_then(|pointer| Some((root.pointer(pointer)?, pointer)))
        else {
            break;
        };
        through.push(pointer);
        value = target;
    }
    (value, through)
}

/// What the `$ref`s from `value` finally point at (see [`follow_references`]).
pub fn resolve<'v>(root: &'v Value, value: &'v Value) -> &'v Value {
    follow_references(root, value).0
}

/// [`resolve`], also returning the pointer of what is reached: `pointer` (where `value` is)
/// when it is no reference.
pub fn resolve_at<'v>(root: &'v Value, value: &'v Value, pointer: String) -> (&'v Value, String) {
    let (target, through) = follow_references(root, value);
    let pointer = through.last().map_or(pointer, |last| (*last).to_string());
    (target, pointer)
}

/// Fails on a `$ref` that leaves the document or points at nothing, naming where it is.
fn check_references(name: &str, root: &Value) -> Result<(), String> {
    each_object(root, &mut String::new(), &mut |map, at| {
        let Some(Value::String(target)) = map.get("$ref") else {
            return Ok(());
        };
        let Some(pointer) = target.strip_prefix('#') else {
            return Err(format!(
                "{name}: the $ref `{target}` at {at} points outside the document; only local references (`#/…`) are supported"
            ));
        };
        match root.pointer(pointer) {
            Some(_) => Ok(()),
            None => Err(format!(
                "{name}: the $ref `{target}` at {at} points at nothing"
            )),
        }
    })
}

/// Fails on an `x-enum-varnames` that does not name each value of its `enum`, in order:
/// other ecosystems' generators name the enum's members with it, and a value added without
/// its name shifts or drops names silently.
fn check_enum_names(name: &str, root: &Value) -> Result<(), String> {
    each_object(root, &mut String::new(), &mut |map, at| {
        let Some(names) = map.get("x-enum-varnames") else {
            return Ok(());
        };
        let values = map
            .get("enum")
            .and_then(Value::as_array)
            .map_or(0, Vec::len);
        let named = names.as_array().map_or(0, Vec::len);
        if named == values {
            return Ok(());
        }
        Err(format!(
            "{name}: x-enum-varnames at {at} names {named} values but its enum has {values}: give each value its name, in the enum's order"
        ))
    })
}

/// Escapes one JSON pointer segment (RFC 6901).
pub fn escape(segment: &str) -> String {
    segment.replace('~', "~0").replace('/', "~1")
}

/// Whether a file under `openapi/` is meant as an OpenAPI document (linter configs are not).
fn looks_like_a_document(path: &str, bytes: &[u8]) -> bool {
    let extension_fits = [".yaml", ".yml", ".json"]
        .iter()
        .any(|extension| path.ends_with(extension));
    if !extension_fits {
        return false;
    }
    match serde_yaml_ng::from_slice::<serde_yaml_ng::Value>(bytes) {
        Ok(serde_yaml_ng::Value::Mapping(map)) => ["openapi", "paths", "info"]
            .iter()
            .any(|key| map.contains_key(*key)),
        // Unparseable: let `parse` say why.
        Ok(_) => false,
        Err(_) => true,
    }
}

/// Every document under `openapi/` in the working tree, by workspace-relative path.
pub fn working_tree(root: &Path) -> Result<BTreeMap<String, Document>, String> {
    let directory = root.join(DIRECTORY);
    let entries = std::fs::read_dir(&directory)
        .map_err(|e| format!("cannot list {}: {e}", directory.display()))?;
    let mut documents = BTreeMap::new();
    for entry in entries {
        let entry = entry.map_err(|e| format!("cannot list {DIRECTORY}/: {e}"))?;
        if !entry.file_type().map(|t| t.is_file()).unwrap_or(false) {
            continue;
        }
        let name = format!("{DIRECTORY}/{}", entry.file_name().to_string_lossy());
        let bytes = std::fs::read(entry.path()).map_err(|e| format!("cannot read {name}: {e}"))?;
        if looks_like_a_document(&name, &bytes) {
            documents.insert(name.clone(), parse(&name, &bytes)?);
        }
    }
    Ok(documents)
}

/// Every document under `openapi/` at git revision `revision`, read with `git show`.
pub fn at_revision(root: &Path, revision: &str) -> Result<BTreeMap<String, Document>, String> {
    let commit = git(
        root,
        &[
            "rev-parse",
            "--verify",
            "--quiet",
            &format!("{revision}^{{commit}}"),
        ],
    )
    .map_err(|_| format!("`{revision}` is not a commit in this repository"))?;
    let commit = String::from_utf8_lossy(&commit).trim().to_string();
    let listing = git(
        root,
        &["ls-tree", "--name-only", &commit, &format!("{DIRECTORY}/")],
    )?;
    let mut documents = BTreeMap::new();
    for path in String::from_utf8_lossy(&listing).lines() {
        let bytes = show(root, revision, path)?;
        if looks_like_a_document(path, &bytes) {
            let name = path.to_string();
            let document = parse(&format!("{path} at {revision}"), &bytes)?;
            documents.insert(name.clone(), Document { name, ..document });
        }
    }
    Ok(documents)
}

/// The bytes of `path` at `revision`.
pub fn show(root: &Path, revision: &str, path: &str) -> Result<Vec<u8>, String> {
    git(root, &["show", &format!("{revision}:{path}")])
}

fn git(root: &Path, args: &[&str]) -> Result<Vec<u8>, String> {
    let output = Command::new("git")
        .current_dir(root)
        .args(args)
        .output()
        .map_err(|e| format!("cannot run git: {e}"))?;
    if output.status.success() {
        Ok(output.stdout)
    } else {
        Err(format!(
            "`git {}` failed: {}",
            args.join(" "),
            String::from_utf8_lossy(&output.stderr).trim()
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MINIMAL: &str = "openapi: 3.0.3\ninfo: {title: t, version: '1'}\npaths: {}\n";

    #[test]
    fn a_minimal_document_parses() {
        // Arrange, Act
        let document = parse("min.yaml", MINIMAL.as_bytes()).unwrap();

        // Assert
        assert_eq!(document.value["openapi"], "3.0.3");
    }

    #[test]
    fn text_that_is_not_yaml_is_refused_naming_the_file() {
        // Act
        let error = parse("broken.yaml", b"openapi: [3.0.3\n").unwrap_err();

        // Assert
        assert!(
            error.starts_with("broken.yaml is not YAML or JSON"),
            "{error}"
        );
    }

    #[test]
    fn a_document_of_another_openapi_version_is_refused() {
        // Act
        let error = parse(
            "new.yaml",
            b"openapi: 3.1.0\ninfo: {title: t, version: '1'}\npaths: {}\n",
        )
        .unwrap_err();

        // Assert
        assert!(error.contains("new.yaml declares OpenAPI 3.1.0"), "{error}");
    }

    #[test]
    fn a_document_without_a_version_field_is_refused() {
        // Act
        let error = parse("x.yaml", b"info: {title: t, version: '1'}\npaths: {}\n").unwrap_err();

        // Assert
        assert!(error.contains("x.yaml has no `openapi: 3.0.x`"), "{error}");
    }

    #[test]
    fn a_document_the_generator_cannot_read_is_refused() {
        // Act: `info` is missing.
        let error = parse("x.yaml", b"openapi: 3.0.3\npaths: {}\n").unwrap_err();

        // Assert
        assert!(
            error.contains("x.yaml is not a valid OpenAPI 3.0 document"),
            "{error}"
        );
    }

    #[test]
    fn enum_names_that_do_not_name_each_value_are_refused_naming_where_they_are() {
        // Arrange: a value added to the enum without its name.
        let yaml = "openapi: 3.0.3\ninfo: {title: t, version: '1'}\npaths: {}\ncomponents:\n  schemas:\n    Ratio: {type: string, enum: ['16:9', '4:3'], x-enum-varnames: [RATIO_16_9]}\n";

        // Act
        let error = parse("x.yaml", yaml.as_bytes()).err().unwrap();

        // Assert
        assert!(
            error.contains(
                "x-enum-varnames at /components/schemas/Ratio names 1 values but its enum has 2"
            ),
            "{error}"
        );
    }

    #[test]
    fn a_dangling_reference_is_refused_naming_where_it_is() {
        // Arrange
        let text = format!(
            "{MINIMAL}components:\n  schemas:\n    A: {{$ref: '#/components/schemas/B'}}\n"
        );

        // Act
        let error = parse("x.yaml", text.as_bytes()).unwrap_err();

        // Assert
        assert!(
            error.contains("`#/components/schemas/B` at /components/schemas/A points at nothing"),
            "{error}"
        );
    }

    #[test]
    fn an_external_reference_is_refused() {
        // Arrange
        let text = format!("{MINIMAL}components:\n  schemas:\n    A: {{$ref: 'other.yaml#/A'}}\n");

        // Act
        let error = parse("x.yaml", text.as_bytes()).unwrap_err();

        // Assert
        assert!(error.contains("points outside the document"), "{error}");
    }

    #[test]
    fn unquoted_status_codes_become_string_keys() {
        // Arrange
        let text = "openapi: 3.0.3\ninfo: {title: t, version: '1'}\npaths:\n  /a:\n    get:\n      responses:\n        200: {description: ok}\n";

        // Act
        let document = parse("x.yaml", text.as_bytes()).unwrap();

        // Assert
        assert!(
            document
                .value
                .pointer("/paths/~1a/get/responses/200")
                .is_some()
        );
    }

    #[test]
    fn a_linter_config_is_not_taken_for_a_document() {
        assert!(!looks_like_a_document(
            "openapi/redocly.yaml",
            b"extends: [recommended]\n"
        ));
        assert!(looks_like_a_document("openapi/a.yaml", MINIMAL.as_bytes()));
        assert!(!looks_like_a_document(
            "openapi/README.md",
            MINIMAL.as_bytes()
        ));
    }
}
