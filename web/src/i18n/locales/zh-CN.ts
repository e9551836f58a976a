/** Simplified Chinese, the default language, one file per area under zh-CN/. The English
 * files under en/ must have exactly these keys (type-checked). */
import shell from './zh-CN/shell'
import integration from './zh-CN/integration'
import customers from './zh-CN/customers'
import reach from './zh-CN/reach'

export default { ...shell, ...integration, ...customers, ...reach }
