import 'element-plus/dist/index.css'
import './styles.css'

import { ElMessage } from 'element-plus'
import { createPinia } from 'pinia'
import { createApp } from 'vue'

import { setUnauthorizedHandler } from '@/api/client'
import { i18n } from '@/i18n'
import { useSessionStore } from '@/modules/auth/store'
import { useCorpStore } from '@/modules/corps/store'
import { router } from '@/router'

import App from './App.vue'

const app = createApp(App)
const pinia = createPinia()
app.use(pinia).use(i18n).use(router)

// Any 401 outside login/me means the session ended (expired, logged out elsewhere).
setUnauthorizedHandler(() => {
  const session = useSessionStore(pinia)
  if (!session.isAuthenticated) return
  session.clear()
  useCorpStore(pinia).reset()
  ElMessage.warning(i18n.global.t('auth.sessionExpired'))
  const current = router.currentRoute.value
  void router.push({ name: 'login', query: { redirect: current.fullPath } })
})

app.mount('#app')
