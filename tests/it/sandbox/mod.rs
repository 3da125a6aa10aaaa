//! The local AWS sandbox, driven through the official SDK clients and a real
//! resolver.

mod method1;
