// On a generic fn with a where clause and a lifetime.

use std::fmt::Display;

#[sandbox::pledge("stdio")]
fn show<'a, T>(items: &'a [T]) -> Option<&'a T>
where
    T: Display,
{
    for item in items {
        println!("{item}");
    }
    items.first()
}

fn main() {
    let _ = show::<u8>;
    let _ = show::<String>;
}
