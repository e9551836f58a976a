/**
 * vue-i18n set-up: zh-CN by default, English switchable, the choice remembered per browser.
 * Element Plus's own texts (pagination, dialogs) follow through `elementLocale`.
 */
import elementEn from 'element-plus/es/locale/lang/en'
import elementZhCn from 'element-plus/es/locale/lang/zh-cn'
import { computed } from 'vue'
import { createI18n } from 'vue-i18n'

import en from './locales/en'
import zhCN from './locales/zh-CN'

export type MessageSchema = typeof zhCN
export type Locale = 'zh-CN' | 'en'

export const LOCALES: readonly { value: Locale; label: string }[] = [
  { value: 'zh-CN', label: '简体中文' },
  { value: 'en', label: 'English' },
]

const STORAGE_KEY = 'siyu.locale'

function initialLocale(): Locale {
  const saved = window.localStorage.getItem(STORAGE_KEY)
  return saved === 'en' || saved === 'zh-CN' ? saved : 'zh-CN'
}

export const i18n = createI18n<[MessageSchema], Locale, false>({
  legacy: false,
  locale: initialLocale(),
  fallbackLocale: 'zh-CN',
  messages: { 'zh-CN': zhCN, en },
})

export function setLocale(locale: Locale): void {
  i18n.global.locale.value = locale
  window.localStorage.setItem(STORAGE_KEY, locale)
  document.documentElement.lang = locale
}

export const elementLocale = computed(() =>
  i18n.global.locale.value === 'en' ? elementEn : elementZhCn,
)

document.documentElement.lang = i18n.global.locale.value
