// Placeholder: the engine owner replaces this with the real inference worker.
export {}
