/** Customer imports: upload the file as the request body, poll, download the report. */
import { api, unwrap } from '@/api/client'
import type { ResponseBody } from '@/api/types'

export type CustomerImport = ResponseBody<'/api/v1/corps/{corp_id}/customer-imports/{import_id}', 'get'>
export type ImportMode = 'all_or_nothing' | 'skip_bad_rows'

export function uploadImport(
  corpId: string,
  file: File,
  options: { mode: ImportMode; dryRun: boolean; phonesVerified: boolean },
): Promise<CustomerImport> {
  return unwrap(
    api.POST('/api/v1/corps/{corp_id}/customer-imports', {
      params: {
        path: { corp_id: corpId },
        query: {
          file_name: file.name,
          mode: options.mode,
          dry_run: options.dryRun,
          phones_verified: options.phonesVerified,
        },
      },
      // The file itself is the body (no multipart): send it untouched.
      body: file as unknown as string,
      bodySerializer: (body: unknown) => body as BodyInit,
      headers: { 'Content-Type': file.type || 'application/octet-stream' },
    }),
  ) as Promise<CustomerImport>
}

export function getImport(corpId: string, importId: string): Promise<CustomerImport> {
  return unwrap(
    api.GET('/api/v1/corps/{corp_id}/customer-imports/{import_id}', {
      params: { path: { corp_id: corpId, import_id: importId } },
    }),
  )
}

export function reportUrl(corpId: string, importId: string): string {
  return `/api/v1/corps/${corpId}/customer-imports/${importId}/report`
}
