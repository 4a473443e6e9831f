//! The generated catalogue search is measured on: 10,000 products (the seed's 24 stay the
//! shop's default), made the same way every run from a fixed seed, with names, categories and
//! descriptions drawn from a shop's vocabulary so that queries match some, many or few of them.

use search::catalogue::{Doc, Entry};
use shared::ids::ProductId;
use shared::money::Currency;

/// How many products the benchmark's search catalogue holds.
pub const PRODUCTS: usize = 10_000;

const ADJECTIVES: &[&str] = &[
    "small",
    "large",
    "classic",
    "minimal",
    "rustic",
    "speckled",
    "hand-thrown",
    "matte",
    "glossy",
    "vintage",
    "modern",
    "round",
    "square",
    "tall",
    "low",
    "everyday",
    "travel",
    "heavy",
    "light",
    "soft",
    "woven",
    "folding",
    "stacking",
    "hanging",
];
const COLOURS: &[&str] = &[
    "blue", "green", "red", "black", "white", "grey", "ochre", "sage", "navy", "cream", "rust",
    "olive",
];
const MATERIALS: &[&str] = &[
    "brass",
    "ceramic",
    "oak",
    "walnut",
    "linen",
    "wool",
    "enamel",
    "glass",
    "stoneware",
    "leather",
    "copper",
    "steel",
    "cotton",
    "bamboo",
    "cork",
    "slate",
    "marble",
    "felt",
    "canvas",
    "porcelain",
    "crème",
    "rattan",
];
/// Objects, each with the category it is sold in.
const OBJECTS: &[(&str, &str)] = &[
    ("mug", "Kitchen"),
    ("bowl", "Kitchen"),
    ("plate", "Kitchen"),
    ("spoon", "Kitchen"),
    ("carafe", "Kitchen"),
    ("tumbler", "Kitchen"),
    ("teapot", "Kitchen"),
    ("kettle", "Kitchen"),
    ("lamp", "Home"),
    ("candle", "Home"),
    ("blanket", "Home"),
    ("cushion", "Home"),
    ("clock", "Home"),
    ("vase", "Home"),
    ("mirror", "Home"),
    ("rug", "Home"),
    ("notebook", "Stationery"),
    ("pen", "Stationery"),
    ("pencil", "Stationery"),
    ("tray", "Stationery"),
    ("tote", "Bags & accessories"),
    ("backpack", "Bags & accessories"),
    ("wallet", "Bags & accessories"),
    ("planter", "Garden"),
    ("watering can", "Garden"),
    ("towel", "Bath"),
    ("soap dish", "Bath"),
];
const FILLER: &[&str] = &[
    "made",
    "by",
    "hand",
    "in",
    "small",
    "batches",
    "with",
    "care",
    "for",
    "every",
    "day",
    "that",
    "lasts",
    "years",
    "and",
    "ages",
    "well",
    "a",
    "the",
    "of",
    "from",
    "recycled",
    "materials",
    "finished",
    "natural",
    "oil",
    "dishwasher",
    "safe",
    "gift",
    "boxed",
    "designed",
    "studio",
    "local",
    "makers",
    "durable",
    "simple",
    "shape",
    "useful",
    "kitchen",
    "desk",
    "table",
    "shelf",
    "bedroom",
    "garden",
    "bathroom",
];

/// A small, fixed pseudo-random sequence (xorshift): the same catalogue on every run.
struct Sequence(u64);

impl Sequence {
    fn next(&mut self) -> usize {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.0 = x;
        usize::try_from(x % 1_000_003).unwrap_or(0)
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.next() % items.len()]
    }
}

/// `count` generated products, each on sale.
pub fn generated(count: usize) -> Vec<Entry> {
    let mut sequence = Sequence(0x9E37_79B9_7F4A_7C15);
    (0..count)
        .map(|n| {
            let adjective = sequence.pick(ADJECTIVES);
            let colour = sequence.pick(COLOURS);
            let material = sequence.pick(MATERIALS);
            let (object, category) = sequence.pick(OBJECTS);
            let name = format!("{adjective} {colour} {material} {object}");
            let mut description = vec![format!("A {material} {object}")];
            for _ in 0..(12 + sequence.next() % 20) {
                description.push((*sequence.pick(FILLER)).to_owned());
            }
            let slug = format!("{adjective}-{material}-{object}-{n}")
                .replace(' ', "-")
                .replace('è', "e");
            Entry::Sold(Doc {
                slug: ProductId::parse(&slug).expect("generated slugs are lower-case words"),
                name: capitalised(&name),
                description: description.join(" ") + ".",
                image: format!("/images/products/{}.svg", "enamel-camp-mug"),
                price: i64::try_from(500 + sequence.next() % 19_500).unwrap_or(500),
                currency: Currency::Eur,
                category: (*category).to_owned(),
                version: 1,
            })
        })
        .collect()
}

fn capitalised(text: &str) -> String {
    let mut chars = text.chars();
    chars.next().map_or_else(String::new, |first| {
        first.to_uppercase().collect::<String>() + chars.as_str()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_catalogue_is_the_same_every_time_and_every_slug_is_unique() {
        let first = generated(PRODUCTS);
        assert_eq!(first, generated(PRODUCTS));
        let mut slugs: Vec<_> = first.iter().map(|entry| entry.slug().clone()).collect();
        slugs.sort();
        slugs.dedup();
        assert_eq!(slugs.len(), PRODUCTS);
    }
}
