// Electron main entry: a few lines that start the app shell (src/main/app).
import { startApp } from './app/index.js'

startApp()
