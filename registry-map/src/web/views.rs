//! The page's indexes of the catalogue in force ([`super::index`]) and its graph, kept per
//! catalogue: rebuilt when the catalogue is replaced.

use std::sync::{Arc, Mutex, OnceLock, Weak};

use crate::catalogue::Catalogue;

use super::graph::Graph;
use super::index::Derived;

/// The indexes of one catalogue, and its members-and-flows graph laid out on first use.
#[derive(Debug)]
pub struct Page {
    derived: Derived,
    graph: OnceLock<Arc<Graph>>,
}

impl Page {
    fn new(derived: Derived) -> Page {
        Page {
            derived,
            graph: OnceLock::new(),
        }
    }

    /// The members-and-flows graph, laid out on first use.
    pub fn graph(&self, catalogue: &Catalogue) -> Arc<Graph> {
        self.graph
            .get_or_init(|| Arc::new(Graph::build(catalogue, &self.derived)))
            .clone()
    }
}

impl std::ops::Deref for Page {
    type Target = Derived;

    fn deref(&self) -> &Derived {
        &self.derived
    }
}

/// The indexes of the catalogue in force, rebuilt when the catalogue is replaced. One per worker
/// (the page's app data); the catalogue itself is not kept alive by it.
#[derive(Debug, Default)]
pub struct Views {
    slot: Mutex<Option<(Weak<Catalogue>, Arc<Page>)>>,
}

impl Views {
    /// The indexes of `catalogue`, built now (off the worker thread) if they are not there yet.
    pub async fn of(&self, catalogue: &Arc<Catalogue>) -> Arc<Page> {
        if let Some(derived) = self.cached(catalogue) {
            return derived;
        }
        let building = catalogue.clone();
        let derived = match actix_web::web::block(move || Derived::build(&building)).await {
            Ok(d) => Arc::new(Page::new(d)),
            // The blocking pool is gone (shutting down): build here rather than fail the page.
            Err(_) => Arc::new(Page::new(Derived::build(catalogue))),
        };
        if let Ok(mut slot) = self.slot.lock() {
            *slot = Some((Arc::downgrade(catalogue), derived.clone()));
        }
        derived
    }

    fn cached(&self, catalogue: &Arc<Catalogue>) -> Option<Arc<Page>> {
        let slot = self.slot.lock().ok()?;
        let (weak, derived) = slot.as_ref()?;
        std::ptr::eq(weak.as_ptr(), Arc::as_ptr(catalogue)).then(|| derived.clone())
    }
}
