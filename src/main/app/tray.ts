import { Menu, Tray, nativeImage, type MenuItemConstructorOptions } from 'electron'
import type { Settings } from '../../shared/settings.js'
import { buildTrayMenu, type TrayAction, type TrayContext, type TrayItem } from './tray-menu.js'

/** The tray icon and its menu, rebuilt from the settings whenever they change. */
export class AppTray {
  readonly #tray: Tray
  readonly #onAction: (action: TrayAction) => void

  constructor(iconPath: string, onAction: (action: TrayAction) => void, onClick: () => void) {
    this.#tray = new Tray(nativeImage.createFromPath(iconPath))
    this.#tray.setToolTip('PortSeg Camera')
    this.#tray.on('click', onClick)
    this.#onAction = onAction
  }

  update(settings: Settings, ctx: TrayContext): void {
    this.#tray.setContextMenu(Menu.buildFromTemplate(buildTrayMenu(settings, ctx).map((i) => this.#toElectron(i))))
  }

  destroy(): void {
    if (!this.#tray.isDestroyed()) this.#tray.destroy()
  }

  #toElectron(item: TrayItem): MenuItemConstructorOptions {
    switch (item.type) {
      case 'separator':
        return { type: 'separator', id: item.id }
      case 'submenu':
        return { id: item.id, label: item.label, submenu: item.items.map((i) => this.#toElectron(i)) }
      case 'normal': {
        const action = item.action
        return { id: item.id, label: item.label, enabled: item.enabled, ...(item.accelerator ? { accelerator: item.accelerator } : {}), ...(action ? { click: () => this.#onAction(action) } : {}) }
      }
      default:
        return { id: item.id, type: item.type, label: item.label, checked: item.checked, enabled: item.enabled, ...(item.accelerator ? { accelerator: item.accelerator, registerAccelerator: false } : {}), click: () => this.#onAction(item.action) }
    }
  }
}
