import type { ClassLanguage } from '@ebpf-lab/lab-spec';

/**
 * The join page speaks the class's language: a Korean study group's link is Korean from the first
 * screen. (A wrong code has no class, hence no language: that page stays English.)
 */
const en = {
  join: (name: string) => `Join “${name}”`,
  nameLabel: 'Your name, as the instructor will see it',
  nameTitle: 'Printable text, up to 60 characters',
  submit: 'Join',
  ended: 'This class has ended.',
  lessons: 'Lessons',
  joined: (name: string) => `You joined “${name}”`,
  stopped: (labs: string[]) =>
    `Your running lab${labs.length > 1 ? 's' : ''} ${labs.join(', ')} ran on this machine's own kernel (netns), which a class does not use, so ${labs.length > 1 ? 'they were' : 'it was'} stopped. Your progress is kept: start the lab again in the lesson, on another driver (vm).`,
  continue: 'Continue to the lesson',
};

const ko: typeof en = {
  join: (name) => `“${name}” 수업 참여`,
  nameLabel: '강사에게 보일 이름',
  nameTitle: '출력 가능한 글자, 60자까지',
  submit: '참여',
  ended: '이 수업은 끝났습니다.',
  lessons: '강의',
  joined: (name) => `“${name}” 수업에 참여했습니다`,
  stopped: (labs) =>
    `실행 중이던 랩 ${labs.join(', ')}은(는) 이 머신의 커널(netns)에서 실행되는데, 수업에서는 이 방식을 쓰지 않아 중지했습니다. 진행 상황은 저장되어 있습니다. 강의에서 다른 드라이버(vm)로 랩을 다시 시작하세요.`,
  continue: '강의로 계속',
};

export function joinText(language: ClassLanguage | undefined): typeof en {
  return language === 'ko' ? ko : en;
}

/** Lab ids as the join answer's `stoppedLabs` gives them, passed back to the page in the URL: anything else is dropped. */
export function stoppedFromQuery(raw: string | string[] | undefined): string[] {
  // A repeated key (?stopped=a&stopped=b) arrives as a list: take its first value, never throw.
  return ((Array.isArray(raw) ? raw[0] : raw) ?? '')
    .split(',')
    .filter((s) => /^[a-z0-9][a-z0-9-]{0,99}$/.test(s))
    .slice(0, 10);
}
