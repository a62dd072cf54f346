//! Starting the runtime's detached threads through one non-generic function, so that a program
//! compiles the standard library's thread start once, not once per thread the runtime starts.

/// Starts `work` on a new thread named `name`, never joined; an error when the system refused
/// the thread.
pub(crate) fn spawn_detached(
    name: String,
    work: Box<dyn FnOnce() + Send + 'static>,
) -> std::io::Result<()> {
    std::thread::Builder::new()
        .name(name)
        .spawn(work)
        .map(|_detached| ())
}

#[cfg(test)]
mod tests {
    use super::spawn_detached;

    #[test]
    fn the_work_runs_on_a_thread_of_that_name() {
        let (sender, receiver) = std::sync::mpsc::channel();
        spawn_detached(
            "telemetry-test".into(),
            Box::new(move || {
                let name = std::thread::current().name().map(str::to_owned);
                sender.send(name).unwrap();
            }),
        )
        .unwrap();
        assert_eq!(receiver.recv().unwrap().as_deref(), Some("telemetry-test"));
    }
}
