//! The storefront as it is uploaded: `web/` with its scripts and style sheets renamed after their
//! content (`app.3f9a1c2e4b7d.js`, `views/cart.0b1c2d3e4f5a.js`) and every reference to them
//! rewritten, so they can be cached for a year, while `index.html`, which names them, is never
//! cached without asking.
//!
//! A module's hash covers the new names of the modules it imports, so a change to one renames
//! everything that depends on it: files are renamed in import order, found by reading the quoted
//! relative paths (`"./ui.js"`, `"../api.js"`, `"/app.js"`) in each file.
//!
//! `cargo xtask storefront <folder>` writes it and prints the commands that upload it with the
//! [`cache_control`] each file needs. The local shop serves `web/` as it is.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use crate::Result;

/// The kinds of file renamed after their content.
const HASHED_EXTENSIONS: [&str; 2] = ["js", "css"];

/// What each uploaded file is served with: hashed files forever, pages (`index.html`, the API's
/// documentation) revalidated on every request (CloudFront's cache policy honours `no-cache`),
/// everything else for a day.
pub fn cache_control(path: &str) -> &'static str {
    if path.ends_with(".html") {
        "no-cache"
    } else if is_hashed_name(path) {
        "public, max-age=31536000, immutable"
    } else {
        "public, max-age=86400"
    }
}

/// The commands that upload the storefront built in `out` to `bucket` and make CloudFront
/// `distribution` serve it: the assets first (so a new page never names a file that is not there
/// yet), then the API's documentation as the object `docs` (CloudFront asks S3 for `/docs` as
/// it is, and S3 has no folder index), then `index.html`, then an invalidation for the cached
/// copies of `/`, `/index.html` and `/docs` (three of the 1,000 paths a month CloudFront
/// invalidates for free). Old hashed files stay, for pages still open in a browser.
pub fn upload_commands(out: &Path, bucket: &str, distribution: &str) -> Vec<String> {
    let out = out.display();
    vec![
        format!(
            "aws s3 sync {out}/ s3://{bucket}/ --exclude '*.html' --exclude '*.js' --exclude '*.css' --cache-control 'public, max-age=86400'"
        ),
        format!(
            "aws s3 sync {out}/ s3://{bucket}/ --exclude '*' --include '*.js' --include '*.css' --cache-control 'public, max-age=31536000, immutable'"
        ),
        format!(
            "aws s3 cp {out}/docs/index.html s3://{bucket}/docs --content-type 'text/html; charset=utf-8' --cache-control no-cache"
        ),
        format!("aws s3 cp {out}/index.html s3://{bucket}/index.html --cache-control no-cache"),
        format!(
            "aws cloudfront create-invalidation --distribution-id {distribution} --paths / /index.html /docs"
        ),
    ]
}

/// Whether `path` names a script or style sheet renamed with a hash (`views/cart.0123456789ab.js`).
fn is_hashed_name(path: &str) -> bool {
    let name = path.rsplit('/').next().unwrap_or(path);
    let mut parts = name.rsplitn(3, '.');
    let (Some(extension), Some(hash), Some(_stem)) = (parts.next(), parts.next(), parts.next())
    else {
        return false;
    };
    HASHED_EXTENSIONS.contains(&extension)
        && hash.len() == 12
        && hash.bytes().all(|b| b.is_ascii_hexdigit())
}

/// Writes the storefront from `web` into `out` (which must not exist yet, or be empty); returns
/// the new path of each renamed file, by its old path relative to `web` (`views/cart.js`).
pub fn build(web: &Path, out: &Path) -> Result<BTreeMap<String, String>> {
    if out.exists() && std::fs::read_dir(out)?.next().is_some() {
        return Err(format!("{} is not empty", out.display()).into());
    }
    copy_tree(web, out)?;
    let mut renamed = BTreeMap::new();
    for file in in_import_order(out)? {
        let path = out.join(&file);
        let text = rewrite(&std::fs::read_to_string(&path)?, &file, &renamed);
        let hash = content_hash(text.as_bytes());
        let (stem, extension) = file.rsplit_once('.').ok_or("no extension")?;
        let name = format!("{stem}.{hash}.{extension}");
        std::fs::write(out.join(&name), text)?;
        std::fs::remove_file(&path)?;
        renamed.insert(file, name);
    }
    let mut files = Vec::new();
    list_files(out, "", &mut files)?;
    for page in files.iter().filter(|file| file.ends_with(".html")) {
        let path = out.join(page);
        let text = rewrite(&std::fs::read_to_string(&path)?, page, &renamed);
        std::fs::write(&path, text)?;
    }
    Ok(renamed)
}

/// Every script and style sheet under `root` (paths relative to it), each after the files it
/// refers to.
fn in_import_order(root: &Path) -> Result<Vec<String>> {
    let mut files = Vec::new();
    list_files(root, "", &mut files)?;
    let hashed: BTreeSet<String> = files
        .into_iter()
        .filter(|file| {
            file.rsplit_once('.')
                .is_some_and(|(_, extension)| HASHED_EXTENSIONS.contains(&extension))
        })
        .collect();
    let mut imports = BTreeMap::new();
    for file in &hashed {
        let text = std::fs::read_to_string(root.join(file))?;
        let targets: BTreeSet<String> = references(&text, file)
            .into_iter()
            .map(|(_, target)| target)
            .filter(|target| hashed.contains(target))
            .collect();
        imports.insert(file.clone(), targets);
    }
    let mut order = Vec::new();
    let mut visiting = BTreeSet::new();
    for file in &hashed {
        visit(file, &imports, &mut visiting, &mut order)?;
    }
    Ok(order)
}

/// Depth first: `file` goes into `order` after everything it imports.
fn visit(
    file: &str,
    imports: &BTreeMap<String, BTreeSet<String>>,
    visiting: &mut BTreeSet<String>,
    order: &mut Vec<String>,
) -> Result<()> {
    if order.iter().any(|done| done == file) {
        return Ok(());
    }
    if !visiting.insert(file.to_owned()) {
        return Err(
            format!("{file} imports itself, through others: a cycle cannot be hashed").into(),
        );
    }
    for target in imports.get(file).into_iter().flatten() {
        visit(target, imports, visiting, order)?;
    }
    visiting.remove(file);
    order.push(file.to_owned());
    Ok(())
}

fn list_files(root: &Path, prefix: &str, files: &mut Vec<String>) -> Result<()> {
    for entry in std::fs::read_dir(root.join(prefix))? {
        let entry = entry?;
        let name = entry.file_name().to_string_lossy().into_owned();
        let relative = if prefix.is_empty() {
            name
        } else {
            format!("{prefix}/{name}")
        };
        if entry.file_type()?.is_dir() {
            list_files(root, &relative, files)?;
        } else {
            files.push(relative);
        }
    }
    Ok(())
}

/// The quoted paths in `text` (written in file `from`) that name a script or style sheet, as
/// written and resolved to a path relative to the storefront's root: `"/app.js"` is `app.js`,
/// and in `views/cart.js`, `"../ui.js"` is `ui.js` and `"./order.js"` is `views/order.js`.
fn references(text: &str, from: &str) -> Vec<(String, String)> {
    let directory: Vec<&str> = from.split('/').collect::<Vec<_>>();
    let directory = &directory[..directory.len() - 1];
    let mut found = Vec::new();
    for quote in ['"', '\''] {
        for (i, quoted) in text.split(quote).enumerate() {
            // Odd pieces are inside quotes.
            let is_asset = quoted
                .rsplit_once('.')
                .is_some_and(|(_, extension)| HASHED_EXTENSIONS.contains(&extension));
            if i % 2 == 0 || !is_asset || quoted.contains(char::is_whitespace) {
                continue;
            }
            let (mut parts, rest): (Vec<&str>, &str) = if let Some(rest) = quoted.strip_prefix('/')
            {
                (Vec::new(), rest)
            } else if quoted.starts_with("./") || quoted.starts_with("../") {
                (directory.to_vec(), quoted)
            } else {
                continue;
            };
            for part in rest.split('/') {
                match part {
                    "." | "" => {}
                    ".." => {
                        parts.pop();
                    }
                    name => parts.push(name),
                }
            }
            found.push((quoted.to_owned(), parts.join("/")));
        }
    }
    found
}

/// `text` (file `from`) with every reference to a renamed file pointing at its new name.
fn rewrite(text: &str, from: &str, renamed: &BTreeMap<String, String>) -> String {
    let mut out = text.to_owned();
    for (written, target) in references(text, from) {
        let Some(new) = renamed.get(&target) else {
            continue;
        };
        let new_name = new.rsplit('/').next().unwrap_or(new);
        let rewritten = match written.rsplit_once('/') {
            Some((directory, _)) => format!("{directory}/{new_name}"),
            None => new_name.to_owned(),
        };
        for quote in ['"', '\''] {
            out = out.replace(
                &format!("{quote}{written}{quote}"),
                &format!("{quote}{rewritten}{quote}"),
            );
        }
    }
    out
}

/// 48 bits of FNV-1a over the content, as 12 hex digits: enough to tell versions apart.
fn content_hash(bytes: &[u8]) -> String {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in bytes {
        hash ^= u64::from(*byte);
        hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
    }
    format!("{:012x}", hash & 0xffff_ffff_ffff)
}

fn copy_tree(from: &Path, to: &Path) -> Result<()> {
    std::fs::create_dir_all(to)?;
    for entry in std::fs::read_dir(from)? {
        let entry = entry?;
        let target = to.join(entry.file_name());
        if entry.file_type()?.is_dir() {
            copy_tree(&entry.path(), &target)?;
        } else {
            std::fs::copy(entry.path(), target)?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::template::workspace_root;

    #[test]
    fn references_are_resolved_from_the_file_that_makes_them() {
        let text = r#"import { h } from "../ui.js"; import x from './order.js'; "/app.js" "x.png""#;
        let found: Vec<String> = references(text, "views/cart.js")
            .into_iter()
            .map(|(_, target)| target)
            .collect();
        assert_eq!(found, ["ui.js", "app.js", "views/order.js"]);
        assert!(is_hashed_name("views/cart.0123456789ab.js"));
        assert!(!is_hashed_name("views/cart.js"));
        assert!(!is_hashed_name("logo.0123456789ab.svg"));
    }

    #[test]
    fn assets_are_renamed_after_their_content_and_every_reference_follows() {
        let out = workspace_root()
            .join("target/tmp")
            .join(format!("storefront-{}", uuid::Uuid::new_v4().simple()));
        let renamed = build(&workspace_root().join("web"), &out).unwrap();
        assert!(renamed.len() >= 10, "{renamed:?}");
        assert!(renamed.contains_key("views/cart.js"), "{renamed:?}");
        let index = std::fs::read_to_string(out.join("index.html")).unwrap();
        let app = std::fs::read_to_string(out.join(&renamed["app.js"])).unwrap();
        for (old, new) in &renamed {
            assert!(!out.join(old).exists(), "{old} is still there");
            assert!(out.join(new).is_file(), "{new} is missing");
            assert_eq!(cache_control(new), "public, max-age=31536000, immutable");
            assert!(
                !index.contains(&format!("/{old}\"")),
                "index.html still names {old}"
            );
        }
        assert!(index.contains(&format!("\"/{}\"", renamed["app.js"])));
        assert!(index.contains(&format!("\"/{}\"", renamed["styles.css"])));
        // The API's documentation names its own style sheet, renamed too.
        let docs = std::fs::read_to_string(out.join("docs/index.html")).unwrap();
        assert!(docs.contains(&format!("\"/{}\"", renamed["docs/docs.css"])));
        assert_eq!(cache_control("docs/index.html"), "no-cache");
        for module in renamed.keys().filter(|name| name.ends_with(".js")) {
            let text = std::fs::read_to_string(out.join(&renamed[module])).unwrap();
            for (written, target) in references(&text, &renamed[module]) {
                assert!(
                    renamed.values().any(|new| *new == target),
                    "{module} refers to {written}, which is not a renamed file"
                );
            }
        }
        assert!(
            app.contains(renamed["views/cart.js"].trim_start_matches("views/")),
            "app.js must import the renamed views/cart.js"
        );
        assert!(out.join("images/products/enamel-camp-mug.svg").is_file());
        assert_eq!(cache_control("index.html"), "no-cache");
        assert_eq!(
            cache_control("images/products/enamel-camp-mug.svg"),
            "public, max-age=86400"
        );
        assert_eq!(cache_control("app.js"), "public, max-age=86400");

        // A change to api.js renames it, and so every module that imports it, up to app.js.
        let again = workspace_root()
            .join("target/tmp")
            .join(format!("storefront-{}", uuid::Uuid::new_v4().simple()));
        let changed = workspace_root()
            .join("target/tmp")
            .join(format!("web-{}", uuid::Uuid::new_v4().simple()));
        copy_tree(&workspace_root().join("web"), &changed).unwrap();
        let api = changed.join("api.js");
        let text = std::fs::read_to_string(&api).unwrap();
        std::fs::write(&api, format!("{text}\n// changed\n")).unwrap();
        let renamed_again = build(&changed, &again).unwrap();
        assert_ne!(renamed["api.js"], renamed_again["api.js"]);
        assert_ne!(renamed["app.js"], renamed_again["app.js"]);
        assert_ne!(renamed["views/cart.js"], renamed_again["views/cart.js"]);
        assert_eq!(renamed["styles.css"], renamed_again["styles.css"]);
        for dir in [out, again, changed] {
            std::fs::remove_dir_all(dir).unwrap();
        }
    }
}
