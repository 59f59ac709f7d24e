// Placeholder: the models issue replaces this with the TFLite → ONNX conversion of the built-in models.
console.log('models: nothing to convert yet')
