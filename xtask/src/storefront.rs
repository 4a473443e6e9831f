//! The storefront as it is uploaded: `web/` with its scripts and style sheet renamed after their
//! content (`app.3f9a1c2e4b7d.js`) and every reference to them rewritten, so they can be cached
//! for a year, while `index.html`, which names them, is never cached without asking.
//!
//! `cargo xtask storefront <folder>` writes it and prints the commands that upload it with the
//! [`cache_control`] each file needs. The local shop serves `web/` as it is.

use std::collections::BTreeMap;
use std::path::Path;

use crate::Result;

/// The files renamed after their content, in the order their names must be settled: a file's
/// hash covers the rewritten names of the files it refers to (`app.js` imports `api.js`).
const HASHED: [&str; 3] = ["api.js", "styles.css", "app.js"];

/// What each uploaded file is served with: hashed files forever, `index.html` revalidated on
/// every request (CloudFront's cache policy honours `no-cache`), everything else for a day.
pub fn cache_control(path: &str) -> &'static str {
    if path == "index.html" {
        "no-cache"
    } else if HASHED.iter().any(|file| hashed_pattern(file, path)) {
        "public, max-age=31536000, immutable"
    } else {
        "public, max-age=86400"
    }
}

/// The commands that upload the storefront built in `out` to `bucket` and make CloudFront
/// `distribution` serve it: the assets first (so the new `index.html` never names a file that is
/// not there yet), then `index.html`, then an invalidation for the cached copies of `/` and
/// `/index.html` (two of the 1,000 paths a month CloudFront invalidates for free). Old hashed
/// files stay, for pages still open in a browser.
pub fn upload_commands(out: &Path, bucket: &str, distribution: &str) -> Vec<String> {
    let out = out.display();
    vec![
        format!(
            "aws s3 sync {out}/ s3://{bucket}/ --exclude index.html --exclude '*.js' --exclude '*.css' --cache-control 'public, max-age=86400'"
        ),
        format!(
            "aws s3 sync {out}/ s3://{bucket}/ --exclude '*' --include '*.js' --include '*.css' --cache-control 'public, max-age=31536000, immutable'"
        ),
        format!("aws s3 cp {out}/index.html s3://{bucket}/index.html --cache-control no-cache"),
        format!(
            "aws cloudfront create-invalidation --distribution-id {distribution} --paths / /index.html"
        ),
    ]
}

/// Whether `path` is `file` renamed with a hash (`app.0123456789ab.js` for `app.js`).
fn hashed_pattern(file: &str, path: &str) -> bool {
    let Some((stem, extension)) = file.rsplit_once('.') else {
        return false;
    };
    path.strip_prefix(&format!("{stem}."))
        .and_then(|rest| rest.strip_suffix(&format!(".{extension}")))
        .is_some_and(|hash| hash.len() == 12 && hash.bytes().all(|b| b.is_ascii_hexdigit()))
}

/// Writes the storefront from `web` into `out` (which must not exist yet, or be empty); returns
/// the new name of each renamed file.
pub fn build(web: &Path, out: &Path) -> Result<BTreeMap<String, String>> {
    if out.exists() && std::fs::read_dir(out)?.next().is_some() {
        return Err(format!("{} is not empty", out.display()).into());
    }
    copy_tree(web, out)?;
    let mut renamed = BTreeMap::new();
    for file in HASHED {
        let path = out.join(file);
        let text = rewrite(&std::fs::read_to_string(&path)?, &renamed);
        let hash = content_hash(text.as_bytes());
        let (stem, extension) = file.rsplit_once('.').ok_or("no extension")?;
        let name = format!("{stem}.{hash}.{extension}");
        std::fs::write(out.join(&name), text)?;
        std::fs::remove_file(&path)?;
        renamed.insert(file.to_owned(), name);
    }
    let index = out.join("index.html");
    let text = rewrite(&std::fs::read_to_string(&index)?, &renamed);
    std::fs::write(&index, text)?;
    Ok(renamed)
}

/// `text` with every reference to a renamed file (`/app.js`, `./api.js`) pointing at its new
/// name. References are quoted paths ending in the file's name.
fn rewrite(text: &str, renamed: &BTreeMap<String, String>) -> String {
    let mut out = text.to_owned();
    for (old, new) in renamed {
        for quote in ['"', '\''] {
            for prefix in ["/", "./"] {
                out = out.replace(
                    &format!("{quote}{prefix}{old}{quote}"),
                    &format!("{quote}{prefix}{new}{quote}"),
                );
            }
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
    fn assets_are_renamed_after_their_content_and_every_reference_follows() {
        let out = workspace_root()
            .join("target/tmp")
            .join(format!("storefront-{}", uuid::Uuid::new_v4().simple()));
        let renamed = build(&workspace_root().join("web"), &out).unwrap();
        assert_eq!(renamed.len(), 3);
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
        assert!(
            app.contains(&renamed["api.js"]),
            "app.js must import the renamed api.js"
        );
        assert!(out.join("images/products/enamel-camp-mug.svg").is_file());
        assert_eq!(cache_control("index.html"), "no-cache");
        assert_eq!(
            cache_control("images/products/enamel-camp-mug.svg"),
            "public, max-age=86400"
        );
        assert_eq!(cache_control("app.js"), "public, max-age=86400");

        // A change to api.js renames it, and so app.js, which names it.
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
        assert_eq!(renamed["styles.css"], renamed_again["styles.css"]);
        for dir in [out, again, changed] {
            std::fs::remove_dir_all(dir).unwrap();
        }
    }
}
