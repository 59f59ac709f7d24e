import { contextBridge } from 'electron'

// Minimal bridge; the app issue generates one method per entry of src/shared/ipc.ts.
const api = { version: '0.1.0' }
if (process.contextIsolated) contextBridge.exposeInMainWorld('portseg', api)
