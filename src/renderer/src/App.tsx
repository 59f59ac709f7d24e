export function App(): React.JSX.Element {
  return <h1>PortSeg Camera</h1>
}
