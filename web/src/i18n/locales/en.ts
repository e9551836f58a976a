import type { MessageSchema } from '../index'

import shell from './en/shell'
import integration from './en/integration'
import customers from './en/customers'
import reach from './en/reach'

/** English, one file per area under en/. */
const en: MessageSchema = { ...shell, ...integration, ...customers, ...reach }

export default en
