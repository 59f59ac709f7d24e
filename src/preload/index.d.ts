export interface PortsegBridge {
  version: string
}
declare global {
  interface Window {
    portseg: PortsegBridge
  }
}
