// The CLI reads process-wide state (CELERIAC_* environment variables, the console), and one test sets environment
// variables: tests in this assembly must not run side by side.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
