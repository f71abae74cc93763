//! Lists a crate's public API from rustdoc JSON, one sorted line per item, so that a change to it shows
//! in review as a diff of `docs/public-api.txt`.
//!
//! `room-moderator-public-api DIR ROOT` reads `DIR/ROOT.json` and, for the re-exports it meets, the JSON
//! of the re-exported crates (`DIR/<crate>.json`): rustdoc JSON does not inline items from other
//! crates, and the facade is mostly re-exports (`pub use room_moderator_core::*`, the adapters as
//! modules). Items are listed under the path a user writes (`room_moderator::zego::ZegoZimBuilder`),
//! with signatures for functions, fields, variants, constants and type aliases, and every trait
//! implementation except blanket ones (`impl<T> From<T> for T`). A re-export from a crate whose JSON
//! is not given (std, say) is listed as `pub use` of its path.
//!
//! The rustdoc JSON format is unstable: this reads it as untyped JSON and fails loudly on shapes it
//! does not know rather than leaving items out. Written against format version 57 (Rust 1.95).

use std::collections::{BTreeSet, HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use serde_json::Value;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [dir, root] = args.as_slice() else {
        eprintln!("usage: room-moderator-public-api DIR ROOT_CRATE (reads DIR/ROOT_CRATE.json)");
        return ExitCode::from(2);
    };
    match Lister::new(PathBuf::from(dir)).list(root) {
        Ok(lines) => {
            for line in lines {
                println!("{line}");
            }
            ExitCode::SUCCESS
        }
        Err(error) => {
            eprintln!("public-api: {error}");
            ExitCode::FAILURE
        }
    }
}

/// One crate's rustdoc JSON.
struct Doc {
    json: Value,
    /// Public path (as its own crate's users write it) -> item id, for resolving re-exports.
    public_paths: HashMap<Vec<String>, String>,
}

/// Walks the public items of a crate, following re-exports into the other crates' JSON.
struct Lister {
    dir: PathBuf,
    docs: HashMap<String, Option<Doc>>,
    lines: BTreeSet<(String, u8, String)>,
    seen: HashSet<(String, String, String)>,
}

type Result<T> = std::result::Result<T, String>;

impl Lister {
    fn new(dir: PathBuf) -> Self {
        Self {
            dir,
            docs: HashMap::new(),
            lines: BTreeSet::new(),
            seen: HashSet::new(),
        }
    }

    fn list(mut self, root: &str) -> Result<Vec<String>> {
        if !self.load(root)? {
            return Err(format!(
                "no {}",
                self.dir.join(format!("{root}.json")).display()
            ));
        }
        let root_id = self.doc(root)?.json["root"].to_string();
        self.walk(root, &root_id, &[root.to_owned()], None)?;
        Ok(self.lines.into_iter().map(|(_, _, line)| line).collect())
    }

    /// Loads `DIR/<krate>.json` once; false when there is none.
    fn load(&mut self, krate: &str) -> Result<bool> {
        if !self.docs.contains_key(krate) {
            let path = self.dir.join(format!("{krate}.json"));
            let doc = if path.exists() {
                Some(read_doc(&path)?)
            } else {
                None
            };
            self.docs.insert(krate.to_owned(), doc);
        }
        Ok(self.docs.get(krate).is_some_and(Option::is_some))
    }

    fn doc(&self, krate: &str) -> Result<&Doc> {
        self.docs
            .get(krate)
            .and_then(Option::as_ref)
            .ok_or_else(|| format!("{krate} not loaded"))
    }

    fn item(&self, krate: &str, id: &str) -> Result<Value> {
        self.doc(krate)?.json["index"]
            .get(id)
            .cloned()
            .ok_or_else(|| format!("{krate}: item {id} is not in the index"))
    }

    fn add(&mut self, key: &[String], rank: u8, line: String) {
        self.lines.insert((key.join("::"), rank, line));
    }

    /// Lists item `id` of `krate` under the public path `path`. `parent` is the type an impl's
    /// items belong to.
    fn walk(&mut self, krate: &str, id: &str, path: &[String], parent: Option<&str>) -> Result<()> {
        if !self
            .seen
            .insert((krate.to_owned(), id.to_owned(), path.join("::")))
        {
            return Ok(());
        }
        let item = self.item(krate, id)?;
        let (kind, inner) = split_inner(&item)?;
        let name = path.join("::");
        let attrs = attrs(&item);
        match kind {
            "module" => {
                if path.len() > 1 {
                    self.add(path, 0, format!("{attrs}pub mod {name}"));
                }
                for child in ids(&inner["items"]) {
                    self.child(krate, &child, path)?;
                }
            }
            "use" => {
                return Err(format!("{name}: a use item reached walk"));
            }
            "struct" => {
                let generics = generics(&inner["generics"]);
                match &inner["kind"] {
                    Value::String(unit) if unit == "unit" => {
                        self.add(path, 0, format!("{attrs}pub struct {name}{generics};"));
                    }
                    Value::Object(map) if map.contains_key("tuple") => {
                        let fields: Vec<String> = map["tuple"]
                            .as_array()
                            .into_iter()
                            .flatten()
                            .map(|field| match field {
                                Value::Null => Ok("_".to_owned()),
                                id => Ok(ty(&inner_of(
                                    &self.item(krate, &id.to_string())?,
                                    "struct_field",
                                )?)),
                            })
                            .collect::<Result<_>>()?;
                        self.add(
                            path,
                            0,
                            format!("{attrs}pub struct {name}{generics}({});", fields.join(", ")),
                        );
                    }
                    Value::Object(map) if map.contains_key("plain") => {
                        self.add(path, 0, format!("{attrs}pub struct {name}{generics}"));
                        for field in ids(&map["plain"]["fields"]) {
                            self.field(krate, &field, path)?;
                        }
                    }
                    other => return Err(format!("{name}: unknown struct kind {other}")),
                }
                self.impls(krate, &inner["impls"], path)?;
            }
            "union" => {
                self.add(
                    path,
                    0,
                    format!("{attrs}pub union {name}{}", generics(&inner["generics"])),
                );
                for field in ids(&inner["fields"]) {
                    self.field(krate, &field, path)?;
                }
                self.impls(krate, &inner["impls"], path)?;
            }
            "enum" => {
                self.add(
                    path,
                    0,
                    format!("{attrs}pub enum {name}{}", generics(&inner["generics"])),
                );
                for variant in ids(&inner["variants"]) {
                    self.variant(krate, &variant, path)?;
                }
                self.impls(krate, &inner["impls"], path)?;
            }
            "trait" => {
                let unsafety = if inner["is_unsafe"] == true {
                    "unsafe "
                } else {
                    ""
                };
                let bounds = bounds(&inner["bounds"]);
                let bounds = if bounds.is_empty() {
                    String::new()
                } else {
                    format!(": {bounds}")
                };
                let generics = generics(&inner["generics"]);
                self.add(
                    path,
                    0,
                    format!("{attrs}pub {unsafety}trait {name}{generics}{bounds}"),
                );
                for child in ids(&inner["items"]) {
                    let child_item = self.item(krate, &child)?;
                    let child_name = child_item["name"].as_str().unwrap_or("_").to_owned();
                    let mut child_path = path.to_vec();
                    child_path.push(child_name);
                    self.walk(krate, &child, &child_path, Some(&name))?;
                }
            }
            "function" => {
                let provided =
                    if parent.is_some() && inner["has_body"] == true && is_trait_item(&item) {
                        " (provided)"
                    } else {
                        ""
                    };
                self.add(
                    path,
                    0,
                    format!("{attrs}{}{provided}", function(&name, &inner)),
                );
            }
            "constant" => {
                self.add(
                    path,
                    0,
                    format!("{attrs}pub const {name}: {}", ty(&inner["type"])),
                );
            }
            "assoc_const" => {
                self.add(
                    path,
                    0,
                    format!("{attrs}pub const {name}: {}", ty(&inner["type"])),
                );
            }
            "assoc_type" => {
                let bounds = bounds(&inner["bounds"]);
                let value = match &inner["type"] {
                    Value::Null => String::new(),
                    t => format!(" = {}", ty(t)),
                };
                let bounds = if bounds.is_empty() {
                    String::new()
                } else {
                    format!(": {bounds}")
                };
                self.add(path, 0, format!("{attrs}pub type {name}{bounds}{value}"));
            }
            "static" => {
                let mutability = if inner["is_mutable"] == true {
                    "mut "
                } else {
                    ""
                };
                self.add(
                    path,
                    0,
                    format!(
                        "{attrs}pub static {mutability}{name}: {}",
                        ty(&inner["type"])
                    ),
                );
            }
            "type_alias" => {
                let generics = generics(&inner["generics"]);
                self.add(
                    path,
                    0,
                    format!("{attrs}pub type {name}{generics} = {}", ty(&inner["type"])),
                );
            }
            "macro" | "proc_macro" => {
                self.add(path, 0, format!("{attrs}pub macro {name}!"));
            }
            "extern_crate" | "primitive" | "impl" => {}
            other => return Err(format!("{name}: unknown item kind {other}")),
        }
        Ok(())
    }

    /// A module's child: a public item, or a re-export followed to its target.
    fn child(&mut self, krate: &str, id: &str, module: &[String]) -> Result<()> {
        let item = self.item(krate, id)?;
        if item["visibility"] != "public" {
            return Ok(());
        }
        let (kind, inner) = split_inner(&item)?;
        if kind != "use" {
            let mut path = module.to_vec();
            path.push(
                item["name"]
                    .as_str()
                    .ok_or("a public item without a name")?
                    .to_owned(),
            );
            return self.walk(krate, id, &path, None);
        }
        let glob = inner["is_glob"] == true;
        let source = inner["source"].as_str().unwrap_or("?").to_owned();
        let name = inner["name"].as_str().unwrap_or("?").to_owned();
        let target = inner["id"].to_string();
        let Some((target_krate, target_id)) = self.resolve(krate, &target)? else {
            let shown = if glob { format!("{source}::*") } else { source };
            let mut key = module.to_vec();
            key.push(name);
            self.add(&key, 0, format!("pub use {}::{shown}", module.join("::")));
            return Ok(());
        };
        if glob {
            let target_item = self.item(&target_krate, &target_id)?;
            let (target_kind, target_inner) = split_inner(&target_item)?;
            if target_kind != "module" {
                return Err(format!("glob re-export of {source}, a {target_kind}"));
            }
            for child in ids(&target_inner["items"]) {
                self.child(&target_krate, &child, module)?;
            }
            Ok(())
        } else {
            let mut path = module.to_vec();
            path.push(name);
            self.walk(&target_krate, &target_id, &path, None)
        }
    }

    /// Where a re-export's target lives: (crate, id in that crate's JSON), or None for a crate whose
    /// JSON was not given.
    fn resolve(&mut self, krate: &str, id: &str) -> Result<Option<(String, String)>> {
        let json = &self.doc(krate)?.json;
        if json["index"].get(id).is_some() {
            return Ok(Some((krate.to_owned(), id.to_owned())));
        }
        let summary = json["paths"].get(id).cloned().ok_or_else(|| {
            format!("{krate}: re-export target {id} is in neither index nor paths")
        })?;
        let crate_id = summary["crate_id"].to_string();
        let target_path: Vec<String> = summary["path"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|s| s.as_str().map(str::to_owned))
            .collect();
        let target_krate = json["external_crates"][&crate_id]["name"]
            .as_str()
            .ok_or_else(|| format!("{krate}: unknown crate {crate_id}"))?
            .to_owned();
        if !self.load(&target_krate)? {
            if target_krate.starts_with("room_moderator") {
                return Err(format!(
                    "{krate} re-exports {}, but there is no {target_krate}.json: add the crate to scripts/public-api.sh",
                    target_path.join("::")
                ));
            }
            return Ok(None);
        }
        let target = self.doc(&target_krate)?;
        let found = target.public_paths.get(&target_path).cloned().or_else(|| {
            // Not a public path of that crate (rustdoc named it by its definition): look it up there.
            target.json["paths"].as_object().and_then(|paths| {
                paths.iter().find_map(|(id, entry)| {
                    (entry["crate_id"] == 0 && entry["path"] == summary["path"]).then(|| id.clone())
                })
            })
        });
        match found {
            Some(id) => Ok(Some((target_krate, id))),
            None => Err(format!(
                "{krate}: re-export of {} not found in {target_krate}'s JSON",
                target_path.join("::")
            )),
        }
    }

    fn field(&mut self, krate: &str, id: &str, parent: &[String]) -> Result<()> {
        let item = self.item(krate, id)?;
        if item["visibility"] != "public" {
            return Ok(());
        }
        let name = item["name"].as_str().unwrap_or("_");
        let mut path = parent.to_vec();
        path.push(name.to_owned());
        let line = format!(
            "{}pub field {}: {}",
            attrs(&item),
            path.join("::"),
            ty(&inner_of(&item, "struct_field")?)
        );
        self.add(&path, 0, line);
        Ok(())
    }

    fn variant(&mut self, krate: &str, id: &str, parent: &[String]) -> Result<()> {
        let item = self.item(krate, id)?;
        let variant = inner_of(&item, "variant")?;
        let mut path = parent.to_vec();
        path.push(item["name"].as_str().unwrap_or("_").to_owned());
        let name = path.join("::");
        let shape = match &variant["kind"] {
            Value::String(plain) if plain == "plain" => String::new(),
            Value::Object(map) if map.contains_key("tuple") => {
                let fields: Vec<String> = map["tuple"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .map(|field| match field {
                        Value::Null => Ok("_".to_owned()),
                        id => Ok(ty(&inner_of(
                            &self.item(krate, &id.to_string())?,
                            "struct_field",
                        )?)),
                    })
                    .collect::<Result<_>>()?;
                format!("({})", fields.join(", "))
            }
            Value::Object(map) if map.contains_key("struct") => {
                let fields: Vec<String> = ids(&map["struct"]["fields"])
                    .iter()
                    .map(|field| {
                        let field = self.item(krate, field)?;
                        Ok(format!(
                            "{}: {}",
                            field["name"].as_str().unwrap_or("_"),
                            ty(&inner_of(&field, "struct_field")?)
                        ))
                    })
                    .collect::<Result<_>>()?;
                let stripped = if map["struct"]["has_stripped_fields"] == true {
                    ", .."
                } else {
                    ""
                };
                format!(" {{ {}{stripped} }}", fields.join(", "))
            }
            other => return Err(format!("{name}: unknown variant kind {other}")),
        };
        self.add(
            &path,
            0,
            format!("{}pub variant {name}{shape}", attrs(&item)),
        );
        Ok(())
    }

    /// A type's impls: inherent ones list their public items, trait impls one line each.
    fn impls(&mut self, krate: &str, impls: &Value, owner: &[String]) -> Result<()> {
        let owner_name = owner.join("::");
        for id in ids(impls) {
            let item = self.item(krate, &id)?;
            let imp = inner_of(&item, "impl")?;
            if !imp["blanket_impl"].is_null() || is_compiler_internal(&imp["trait"]) {
                continue;
            }
            if imp["trait"].is_null() {
                for child in ids(&imp["items"]) {
                    let child_item = self.item(krate, &child)?;
                    if child_item["visibility"] != "public" {
                        continue;
                    }
                    let mut path = owner.to_vec();
                    path.push(child_item["name"].as_str().unwrap_or("_").to_owned());
                    self.walk(krate, &child, &path, Some(&owner_name))?;
                }
            } else {
                let negative = if imp["is_negative"] == true { "!" } else { "" };
                let unsafety = if imp["is_unsafe"] == true {
                    "unsafe "
                } else {
                    ""
                };
                let generics = generics(&imp["generics"]);
                let line = format!(
                    "{unsafety}impl{generics} {negative}{} for {owner_name}{}",
                    path_of(&imp["trait"]),
                    where_clause(&imp["generics"])
                );
                self.add(owner, 1, line);
            }
        }
        Ok(())
    }
}

/// Impls of unstable, compiler-internal traits (`Freeze`, `UnsafeUnpin`, the marker derived with
/// `PartialEq`): they are not API users can name, and they come and go with the toolchain.
fn is_compiler_internal(trait_path: &Value) -> bool {
    let name = trait_path["path"].as_str().unwrap_or_default();
    let last = name.rsplit("::").next().unwrap_or(name);
    matches!(last, "Freeze" | "UnsafeUnpin" | "StructuralPartialEq")
}

fn read_doc(path: &Path) -> Result<Doc> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let json: Value =
        serde_json::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))?;
    if json["format_version"].as_u64().is_none() {
        return Err(format!("{}: not rustdoc JSON", path.display()));
    }
    // Public paths of the crate's own items, by walking its modules from the root (re-exports from
    // private modules included), so that another crate's `pub use this_crate::Name` resolves.
    let mut public_paths = HashMap::new();
    let root = json["root"].to_string();
    let name = json["index"][&root]["name"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let mut stack = vec![(root, vec![name])];
    let mut visited = HashSet::new();
    while let Some((id, path)) = stack.pop() {
        if !visited.insert(id.clone()) {
            continue;
        }
        public_paths.insert(path.clone(), id.clone());
        let item = &json["index"][&id];
        let Some(items) = item["inner"]["module"]["items"].as_array() else {
            continue;
        };
        for child in items {
            let child_id = child.to_string();
            let child_item = &json["index"][&child_id];
            if child_item["visibility"] != "public" {
                continue;
            }
            if let Some(reexport) = child_item["inner"].get("use") {
                let target = reexport["id"].to_string();
                if reexport["is_glob"] == false && json["index"].get(&target).is_some() {
                    let mut child_path = path.clone();
                    child_path.push(reexport["name"].as_str().unwrap_or_default().to_owned());
                    public_paths.insert(child_path.clone(), target.clone());
                    stack.push((target, child_path));
                }
                continue;
            }
            let mut child_path = path.clone();
            child_path.push(child_item["name"].as_str().unwrap_or_default().to_owned());
            stack.push((child_id, child_path));
        }
    }
    Ok(Doc { json, public_paths })
}

fn ids(list: &Value) -> Vec<String> {
    list.as_array()
        .into_iter()
        .flatten()
        .map(Value::to_string)
        .collect()
}

fn split_inner(item: &Value) -> Result<(&str, Value)> {
    item["inner"]
        .as_object()
        .and_then(|map| map.iter().next())
        .map(|(kind, value)| (kind.as_str(), value.clone()))
        .ok_or_else(|| format!("item {} has no inner", item["id"]))
}

fn inner_of(item: &Value, kind: &str) -> Result<Value> {
    item["inner"]
        .get(kind)
        .cloned()
        .ok_or_else(|| format!("item {} is not a {kind}", item["id"]))
}

fn is_trait_item(item: &Value) -> bool {
    item["visibility"] == "default"
}

/// The attributes that matter to users of an item (`#[non_exhaustive]`, `#[must_use]`, deprecation).
fn attrs(item: &Value) -> String {
    let mut out = String::new();
    for attr in item["attrs"].as_array().into_iter().flatten() {
        match attr {
            Value::String(name) if name == "non_exhaustive" => out.push_str("#[non_exhaustive] "),
            Value::Object(map) if map.contains_key("must_use") => out.push_str("#[must_use] "),
            _ => {}
        }
    }
    if !item["deprecation"].is_null() {
        out.push_str("#[deprecated] ");
    }
    out
}

fn function(name: &str, inner: &Value) -> String {
    let header = &inner["header"];
    let mut out = String::from("pub ");
    if header["is_const"] == true {
        out.push_str("const ");
    }
    if header["is_async"] == true {
        out.push_str("async ");
    }
    if header["is_unsafe"] == true {
        out.push_str("unsafe ");
    }
    out.push_str("fn ");
    out.push_str(name);
    out.push_str(&generics(&inner["generics"]));
    let inputs: Vec<String> = inner["sig"]["inputs"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|input| {
            let arg = input[0].as_str().unwrap_or("_");
            let t = &input[1];
            match (arg, t) {
                ("self", Value::Object(map)) if map.get("generic").is_some_and(|g| g == "Self") => {
                    "self".to_owned()
                }
                ("self", Value::Object(map)) if map.contains_key("borrowed_ref") => {
                    let r = &map["borrowed_ref"];
                    if r["type"]["generic"] == "Self" {
                        let mutability = if r["is_mutable"] == true { "mut " } else { "" };
                        let lifetime = r["lifetime"]
                            .as_str()
                            .map(|l| format!("{l} "))
                            .unwrap_or_default();
                        format!("&{lifetime}{mutability}self")
                    } else {
                        format!("self: {}", ty(t))
                    }
                }
                _ => format!("{arg}: {}", ty(t)),
            }
        })
        .collect();
    out.push_str(&format!("({})", inputs.join(", ")));
    if !inner["sig"]["output"].is_null() {
        out.push_str(&format!(" -> {}", ty(&inner["sig"]["output"])));
    }
    out.push_str(&where_clause(&inner["generics"]));
    out
}

/// `<'a, T: Bound, const N: usize>`, without the synthetic parameters of `impl Trait` arguments.
fn generics(generics: &Value) -> String {
    let params: Vec<String> = generics["params"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|param| {
            let name = param["name"].as_str().unwrap_or("_");
            let kind = &param["kind"];
            if let Some(lifetime) = kind.get("lifetime") {
                let outlives: Vec<&str> = lifetime["outlives"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(Value::as_str)
                    .collect();
                return Some(if outlives.is_empty() {
                    name.to_owned()
                } else {
                    format!("{name}: {}", outlives.join(" + "))
                });
            }
            if let Some(t) = kind.get("type") {
                if t["is_synthetic"] == true {
                    return None;
                }
                let bounds = bounds(&t["bounds"]);
                let default = if t["default"].is_null() {
                    String::new()
                } else {
                    format!(" = {}", ty(&t["default"]))
                };
                return Some(if bounds.is_empty() {
                    format!("{name}{default}")
                } else {
                    format!("{name}: {bounds}{default}")
                });
            }
            if let Some(c) = kind.get("const") {
                return Some(format!("const {name}: {}", ty(&c["type"])));
            }
            Some(name.to_owned())
        })
        .collect();
    if params.is_empty() {
        String::new()
    } else {
        format!("<{}>", params.join(", "))
    }
}

fn where_clause(generics: &Value) -> String {
    let predicates: Vec<String> = generics["where_predicates"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|predicate| {
            if let Some(b) = predicate.get("bound_predicate") {
                format!("{}: {}", ty(&b["type"]), bounds(&b["bounds"]))
            } else if let Some(l) = predicate.get("lifetime_predicate") {
                let outlives: Vec<&str> = l["outlives"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(Value::as_str)
                    .collect();
                format!(
                    "{}: {}",
                    l["lifetime"].as_str().unwrap_or("'_"),
                    outlives.join(" + ")
                )
            } else if let Some(e) = predicate.get("eq_predicate") {
                format!("{} = {}", ty(&e["lhs"]), term(&e["rhs"]))
            } else {
                predicate.to_string()
            }
        })
        .collect();
    if predicates.is_empty() {
        String::new()
    } else {
        format!(" where {}", predicates.join(", "))
    }
}

fn bounds(bounds: &Value) -> String {
    let list: Vec<String> = bounds
        .as_array()
        .into_iter()
        .flatten()
        .map(|bound| {
            if let Some(t) = bound.get("trait_bound") {
                let modifier = match t["modifier"].as_str() {
                    Some("maybe") => "?",
                    Some("maybe_const") => "~const ",
                    _ => "",
                };
                format!("{modifier}{}", path_of(&t["trait"]))
            } else if let Some(lifetime) = bound.get("outlives") {
                lifetime.as_str().unwrap_or("'_").to_owned()
            } else if let Some(captures) = bound.get("use") {
                let names: Vec<String> = captures
                    .as_array()
                    .into_iter()
                    .flatten()
                    .map(|c| {
                        c.as_str().map(str::to_owned).unwrap_or_else(|| {
                            c.as_object()
                                .and_then(|m| m.values().next())
                                .and_then(Value::as_str)
                                .unwrap_or("_")
                                .to_owned()
                        })
                    })
                    .collect();
                format!("use<{}>", names.join(", "))
            } else {
                bound.to_string()
            }
        })
        .collect();
    list.join(" + ")
}

/// A path as the user sees it: the last segment of what the source wrote, with its generic arguments.
fn path_of(path: &Value) -> String {
    let full = path["path"].as_str().unwrap_or("?");
    let last = full.rsplit("::").next().unwrap_or(full);
    format!("{last}{}", generic_args(&path["args"]))
}

fn generic_args(args: &Value) -> String {
    if let Some(angle) = args.get("angle_bracketed") {
        let mut parts: Vec<String> = angle["args"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|arg| {
                if let Some(t) = arg.get("type") {
                    ty(t)
                } else if let Some(l) = arg.get("lifetime") {
                    l.as_str().unwrap_or("'_").to_owned()
                } else if let Some(c) = arg.get("const") {
                    c["expr"].as_str().unwrap_or("_").to_owned()
                } else {
                    "_".to_owned()
                }
            })
            .collect();
        for constraint in angle["constraints"].as_array().into_iter().flatten() {
            let name = format!(
                "{}{}",
                constraint["name"].as_str().unwrap_or("_"),
                generic_args(&constraint["args"])
            );
            if let Some(eq) = constraint["binding"].get("equality") {
                parts.push(format!("{name} = {}", term(eq)));
            } else if let Some(c) = constraint["binding"].get("constraint") {
                parts.push(format!("{name}: {}", bounds(c)));
            }
        }
        if parts.is_empty() {
            String::new()
        } else {
            format!("<{}>", parts.join(", "))
        }
    } else if let Some(paren) = args.get("parenthesized") {
        let inputs: Vec<String> = paren["inputs"]
            .as_array()
            .into_iter()
            .flatten()
            .map(ty)
            .collect();
        let output = if paren["output"].is_null() {
            String::new()
        } else {
            format!(" -> {}", ty(&paren["output"]))
        };
        format!("({}){output}", inputs.join(", "))
    } else if args.get("return_type_notation").is_some() {
        "(..)".to_owned()
    } else {
        String::new()
    }
}

fn term(term: &Value) -> String {
    if let Some(t) = term.get("type") {
        ty(t)
    } else if let Some(c) = term.get("constant") {
        c["expr"].as_str().unwrap_or("_").to_owned()
    } else {
        term.to_string()
    }
}

/// A type, in Rust syntax.
fn ty(t: &Value) -> String {
    let Some((kind, v)) = t.as_object().and_then(|m| m.iter().next()) else {
        return match t.as_str() {
            Some("infer") => "_".to_owned(),
            _ => t.to_string(),
        };
    };
    match kind.as_str() {
        "resolved_path" => path_of(v),
        "generic" | "primitive" => v.as_str().unwrap_or("?").to_owned(),
        "borrowed_ref" => {
            let lifetime = v["lifetime"]
                .as_str()
                .map(|l| format!("{l} "))
                .unwrap_or_default();
            let mutability = if v["is_mutable"] == true { "mut " } else { "" };
            format!("&{lifetime}{mutability}{}", ty(&v["type"]))
        }
        "raw_pointer" => format!(
            "*{} {}",
            if v["is_mutable"] == true {
                "mut"
            } else {
                "const"
            },
            ty(&v["type"])
        ),
        "slice" => format!("[{}]", ty(v)),
        "array" => format!("[{}; {}]", ty(&v["type"]), v["len"].as_str().unwrap_or("_")),
        "tuple" => {
            let items: Vec<String> = v.as_array().into_iter().flatten().map(ty).collect();
            if items.len() == 1 {
                format!("({},)", items[0])
            } else {
                format!("({})", items.join(", "))
            }
        }
        "dyn_trait" => {
            let mut parts: Vec<String> = v["traits"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|p| path_of(&p["trait"]))
                .collect();
            if let Some(lifetime) = v["lifetime"].as_str() {
                parts.push(lifetime.to_owned());
            }
            format!("dyn {}", parts.join(" + "))
        }
        "impl_trait" => format!("impl {}", bounds(v)),
        "function_pointer" => {
            let inputs: Vec<String> = v["sig"]["inputs"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|i| ty(&i[1]))
                .collect();
            let output = if v["sig"]["output"].is_null() {
                String::new()
            } else {
                format!(" -> {}", ty(&v["sig"]["output"]))
            };
            format!("fn({}){output}", inputs.join(", "))
        }
        "qualified_path" => {
            let trait_part = if v["trait"].is_null() {
                String::new()
            } else {
                format!(" as {}", path_of(&v["trait"]))
            };
            format!(
                "<{}{trait_part}>::{}{}",
                ty(&v["self_type"]),
                v["name"].as_str().unwrap_or("_"),
                generic_args(&v["args"])
            )
        }
        "pat" => ty(&v["type"]),
        _ => t.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn types_render_as_rust() {
        let arc_dyn = json!({"resolved_path": {"path": "std::sync::Arc", "id": 1, "args": {"angle_bracketed": {
            "args": [{"type": {"dyn_trait": {"traits": [{"trait": {"path": "Moderator", "id": 2, "args": null}, "generic_params": []}], "lifetime": null}}}],
            "constraints": []}}}});
        assert_eq!(ty(&arc_dyn), "Arc<dyn Moderator>");
        let str_ref = json!({"borrowed_ref": {"lifetime": null, "is_mutable": false, "type": {"primitive": "str"}}});
        assert_eq!(ty(&str_ref), "&str");
        let tuple = json!({"tuple": [{"primitive": "u32"}, {"slice": {"generic": "T"}}]});
        assert_eq!(ty(&tuple), "(u32, [T])");
    }

    #[test]
    fn functions_show_receiver_async_and_output() {
        let inner = json!({
            "sig": {"inputs": [["self", {"borrowed_ref": {"lifetime": null, "is_mutable": false, "type": {"generic": "Self"}}}],
                               ["url", {"impl_trait": [{"trait_bound": {"trait": {"path": "Into", "id": 3, "args": {"angle_bracketed": {"args": [{"type": {"resolved_path": {"path": "String", "id": 4, "args": null}}}], "constraints": []}}}, "generic_params": [], "modifier": "none"}}]}]],
                    "output": {"generic": "Self"}, "is_c_variadic": false},
            "generics": {"params": [{"name": "impl Into<String>", "kind": {"type": {"bounds": [], "default": null, "is_synthetic": true}}}], "where_predicates": []},
            "header": {"is_const": false, "is_unsafe": false, "is_async": true, "abi": "Rust"},
            "has_body": true
        });
        assert_eq!(
            function("a::B::with", &inner),
            "pub async fn a::B::with(&self, url: impl Into<String>) -> Self"
        );
    }
}
