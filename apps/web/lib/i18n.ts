export const LOCALES = ['en', 'ko'] as const;
export type Locale = (typeof LOCALES)[number];
export const DEFAULT_LOCALE: Locale = 'en';

export function isLocale(s: string): s is Locale {
  return (LOCALES as readonly string[]).includes(s);
}

const en = {
  languageName: 'English',
  course: 'Course',
  untranslated: 'This lesson is not translated yet; it is shown in English.',
  lessonError: 'This lesson cannot be shown',
  lessonErrorBody: 'The lesson file has a problem. Fix it and reload; every other lesson still works.',
  notFound: 'No such lesson.',
  run: 'Run',
  check: 'Check',
  checking: 'Checking…',
  pass: 'pass',
  fail: 'not yet',
  checkError: 'check error',
  checkErrorBody: 'The check itself failed — this is not your mistake.',
  expected: 'expected',
  actual: 'actual',
  hint: 'Hint',
  reset: 'Reset lab',
  labStarting: 'Starting the lab…',
  labError: 'The lab could not start',
  retry: 'Retry',
  reconnecting: 'reconnecting…',
  exited: 'The shell exited. Reset the lab or reload for a new one.',
  editor: 'Editor',
  open: 'Open',
  save: 'Save',
  saved: 'saved',
  buildLoad: 'Build & load',
  building: 'Building…',
  buildOk: 'Built and loaded.',
  doctor: 'Your kernel',
  driverPick: 'Where the lab runs',
  driverNetns: "namespaces on this machine's kernel, starts in ~0.1 s",
  driverVagrant: 'a VM with a stock kernel (kprobes, BCC), ~10 s to start',
  driverKind: 'a real Kubernetes cluster with Cilium',
  driverUnavailable: 'not available here',
  startOn: 'Start',
  resetOn: 'Reset on this driver',
  cancel: 'Cancel',
} as const;
export type Messages = { [K in keyof typeof en]: string };

const ko: Messages = {
  languageName: '한국어',
  course: '강좌',
  untranslated: '이 강의는 아직 번역되지 않아 영어로 표시합니다.',
  lessonError: '이 강의를 표시할 수 없습니다',
  lessonErrorBody: '강의 파일에 문제가 있습니다. 고친 뒤 새로고침하세요. 다른 강의는 그대로 동작합니다.',
  notFound: '그런 강의가 없습니다.',
  run: '실행',
  check: '확인',
  checking: '확인 중…',
  pass: '통과',
  fail: '아직',
  checkError: '검사 오류',
  checkErrorBody: '검사 자체가 실패했습니다. 여러분의 실수가 아닙니다.',
  expected: '기대값',
  actual: '실제값',
  hint: '힌트',
  reset: '랩 초기화',
  labStarting: '랩을 시작하는 중…',
  labError: '랩을 시작하지 못했습니다',
  retry: '다시 시도',
  reconnecting: '다시 연결하는 중…',
  exited: '셸이 종료되었습니다. 랩을 초기화하거나 새로고침하세요.',
  editor: '편집기',
  open: '열기',
  save: '저장',
  saved: '저장됨',
  buildLoad: '빌드 및 로드',
  building: '빌드하는 중…',
  buildOk: '빌드하고 로드했습니다.',
  doctor: '내 커널',
  driverPick: '랩을 실행할 곳',
  driverNetns: '이 머신의 커널 위 네임스페이스, 약 0.1초 만에 시작',
  driverVagrant: '기본 커널의 VM(kprobes, BCC), 시작에 약 10초',
  driverKind: 'Cilium을 올린 실제 쿠버네티스 클러스터',
  driverUnavailable: '여기서는 사용할 수 없음',
  startOn: '시작',
  resetOn: '이 드라이버로 초기화',
  cancel: '취소',
};

export function messages(locale: Locale): Messages {
  return locale === 'ko' ? ko : en;
}
