// Placeholder: the virtual-camera issue replaces this with the cmake-js build of native/vcam.
console.log('native: nothing to build yet')
